"""Submits each run of a sweep as a job through submitit: Slurm on a cluster, local processes elsewhere.

Each job writes only its own run folder, which must be on storage the compute nodes see.
"""

from __future__ import annotations

import time
from pathlib import Path

from zerohsi.bench.executors.base import crashed_record
from zerohsi.bench.executors.configs import SubmititConfig
from zerohsi.errors import UserError
from zerohsi.threads import configure_environment, with_threads


class SubmititExecutor:
    def __init__(self, cfg: SubmititConfig | None = None) -> None:
        self.cfg = cfg or SubmititConfig()

    def map(self, fn, specs, run_fn=None):
        try:
            import submitit
        except ImportError:
            raise UserError("The submitit executor needs submitit: pip install submitit.") from None
        if not specs:
            return
        folder = Path(self.cfg.folder) if self.cfg.folder else Path(specs[0].run_dir).parents[2] / "submitit"
        ex = submitit.AutoExecutor(folder=str(folder / "%j"), cluster=self.cfg.cluster)
        params = {"timeout_min": self.cfg.timeout_min, "cpus_per_task": self.cfg.cpus_per_task}
        if ex.cluster == "slurm":
            params["gpus_per_node"] = self.cfg.gpus_per_node
            if self.cfg.slurm_partition:
                params["slurm_partition"] = self.cfg.slurm_partition
        ex.update_parameters(name="zerohsi-bench", **params)
        # jobs inherit this environment (passive OpenMP waiting, set before their torch loads) and size torch's
        # threads to the CPUs each job was given; "debug" jobs run in this process, whose threads stay as they are
        configure_environment()
        job_fn = fn if ex.cluster == "debug" else with_threads(fn, self.cfg.cpus_per_task)
        pending = {}
        for spec in specs:
            pending[ex.submit(job_fn, spec, run_fn)] = spec
        while pending:
            finished = [job for job in pending if job.done()]
            if not finished:
                time.sleep(self.cfg.poll_s)
                continue
            for job in finished:
                spec = pending.pop(job)
                try:
                    yield spec, job.result()
                except Exception as exc:  # noqa: BLE001 - a failed job is one failed run, not a failed sweep
                    yield spec, crashed_record(spec, f"job {job.job_id} failed: {type(exc).__name__}: {exc}")
