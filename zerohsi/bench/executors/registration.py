"""Built-in sweep executors (import-light: Ray is imported only when its executor runs)."""

from __future__ import annotations

from zerohsi.bench.executors.configs import RayConfig, SubmititConfig


def _local(cfg):
    from zerohsi.bench.executors.local import LocalExecutor

    return LocalExecutor()


def _ray(cfg):
    from zerohsi.bench.executors.ray_executor import RayExecutor

    return RayExecutor(cfg)


def _submitit(cfg):
    from zerohsi.bench.executors.submitit_executor import SubmititExecutor

    return SubmititExecutor(cfg)


def register(register) -> None:
    register("local", _local, description="Runs a sweep's runs one after another in this process.")
    register("ray", _ray, config=RayConfig, description="Fans runs out over a Ray cluster or a local Ray instance.")
    register("submitit", _submitit, config=SubmititConfig,
             description="Submits each run as a Slurm job (or a local process) through submitit.")
