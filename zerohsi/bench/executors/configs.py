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
    #: resources each run asks for
    cpus_per_run: float = 1.0
    gpus_per_run: float = 0.0
    #: shut the local instance down when the sweep ends
    shutdown: bool = True


@dataclass
class SubmititConfig:
    #: where submitit keeps job scripts and logs; default <sweep out>/submitit (set by the harness)
    folder: Optional[str] = None
    #: None: Slurm when available, else local processes; "slurm" | "local" | "debug" (in this process)
    cluster: Optional[str] = None
    timeout_min: int = 180
    cpus_per_task: int = 4
    gpus_per_node: int = 1
    slurm_partition: Optional[str] = None
    #: seconds between completion checks
    poll_s: float = 5.0
