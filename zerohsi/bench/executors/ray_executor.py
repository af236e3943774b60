"""Fans a sweep's runs out over a Ray cluster (or a local Ray instance): one task per run.

Each task writes only its own run folder, so the folders must live on storage every worker sees (a shared file
system on a real cluster).
"""

from __future__ import annotations

import math
import os

from zerohsi.bench.executors.base import crashed_record
from zerohsi.bench.executors.configs import RayConfig
from zerohsi.errors import UserError
from zerohsi.threads import with_threads, worker_environment


class RayExecutor:
    def __init__(self, cfg: RayConfig | None = None) -> None:
        self.cfg = cfg or RayConfig()

    def map(self, fn, specs, run_fn=None):
        try:
            import ray
        except ImportError:
            raise UserError("The ray executor needs Ray: pip install 'zerohsi[ray]'.") from None
        started = False
        if not ray.is_initialized():
            # workers import zerohsi from the same source tree as this process, and start with passive OpenMP
            # waiting and as many threads as CPUs they are given: the variables must be there before a worker's
            # OpenMP runtime loads, and several workers share one machine's cores
            env_vars = worker_environment(math.ceil(self.cfg.cpus_per_run))
            if os.environ.get("PYTHONPATH"):
                env_vars["PYTHONPATH"] = os.pathsep.join(p for p in os.environ["PYTHONPATH"].split(os.pathsep) if p)
            env = {"env_vars": env_vars}
            kwargs = {"address": self.cfg.address} if self.cfg.address else {"num_cpus": self.cfg.num_cpus}
            ray.init(include_dashboard=False, log_to_driver=False, runtime_env=env, **kwargs)
            started = True
        try:
            task = ray.remote(num_cpus=self.cfg.cpus_per_run, num_gpus=self.cfg.gpus_per_run, max_retries=0)(
                with_threads(fn, math.ceil(self.cfg.cpus_per_run)))
            pending = {task.remote(spec, run_fn): spec for spec in specs}
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    spec = pending.pop(ref)
                    try:
                        yield spec, ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - a dead worker is one failed run, not a dead sweep
                        yield spec, crashed_record(spec, f"worker failed: {type(exc).__name__}: {exc}")
        finally:
            if started and self.cfg.shutdown:
                ray.shutdown()
