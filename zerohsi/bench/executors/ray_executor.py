"""Fans a sweep's runs out over a Ray cluster (or a local Ray instance): one task per run.

Each task writes only its own run folder, so the folders must live on storage every worker sees (a shared file
system on a real cluster).
"""

from __future__ import annotations

import os

from zerohsi.bench.executors.base import crashed_record
from zerohsi.bench.executors.configs import RayConfig
from zerohsi.errors import UserError


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
            # workers import zerohsi from the same source tree as this process
            env = {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in os.environ.get("PYTHONPATH", "").split(
                os.pathsep) if p)}} if os.environ.get("PYTHONPATH") else None
            kwargs = {"address": self.cfg.address} if self.cfg.address else {"num_cpus": self.cfg.num_cpus}
            ray.init(include_dashboard=False, log_to_driver=False, runtime_env=env, **kwargs)
            started = True
        try:
            task = ray.remote(num_cpus=self.cfg.cpus_per_run, num_gpus=self.cfg.gpus_per_run, max_retries=0)(fn)
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
