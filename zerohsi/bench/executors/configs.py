"""Executor configs (no heavy imports: registration reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class RayConfig:
    #: cluster address ("auto", "ray://host:10001"); None starts a local Ray instance
    address: Optional[str] = None
    #: CPUs of the local instance (None: all); ignored when joining a cluster
    num_cpus: Optional[int] = None
    #: CPUs each run asks for
    cpus_per_run: float = 1.0
    #: GPUs each run asks for (fractions share a GPU)
    gpus_per_run: float = 0.0
    #: shut the local instance down when the sweep ends
    shutdown: bool = True


@dataclass
class SubmititConfig:
    #: where submitit keeps job scripts and logs; default <sweep out>/submitit (set by the harness)
    folder: Optional[str] = None
    #: None: Slurm when available, else local processes; "slurm" | "local" | "debug" (in this process)
    cluster: Optional[str] = None
    #: time limit of one run's job, in minutes
    timeout_min: int = 180
    #: CPUs of one run's job
    cpus_per_task: int = 4
    #: GPUs of one run's job
    gpus_per_node: int = 1
    #: the Slurm partition to submit to (None: the cluster's default)
    slurm_partition: Optional[str] = None
    #: seconds between completion checks
    poll_s: float = 5.0
