"""Where a sweep's runs execute: ``local`` (this process), ``ray`` (a Ray cluster), ``submitit`` (Slurm)."""
