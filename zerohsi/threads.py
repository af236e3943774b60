"""OpenMP waiting and torch thread counts for every entry point (CLI, ``zerohsi.run``, sweep workers).

By default the OpenMP runtime behind torch's CPU kernels spins its idle threads for a while after each parallel
region. One process alone loses nothing by that, but two processes on the same cores steal each other's time with
spinning threads: two small runs started together took 5x as long as one. Passive waiting (threads sleep when idle)
removes that at no measurable cost to a lone run.

OpenMP reads ``OMP_WAIT_POLICY`` once, when its runtime is loaded, which happens when torch is first imported; so
:func:`configure_environment` must run before ``import torch`` (the CLI's entry module and ``zerohsi.pipeline`` call
it first thing). A value the user set explicitly is never overridden. This module imports nothing heavy.
"""

from __future__ import annotations

import os
import sys

#: environment defaults applied when the user has not chosen otherwise
DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}


def configure_environment(num_threads: int | None = None) -> bool:
    """Set OpenMP passive waiting (and, with ``num_threads``, the OpenMP/MKL thread count) in ``os.environ`` unless
    the user already set them. Returns whether the OpenMP runtime can still see the change (torch not yet imported)."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    if num_threads is not None:
        for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(key, str(int(num_threads)))
    return "torch" not in sys.modules


def worker_environment(num_threads: int | None = None) -> dict[str, str]:
    """The variables a worker process on another host (Ray, Slurm) should start with: the current process's values
    when set, else the defaults; ``num_threads`` (the CPUs the worker is given) sizes its thread pools."""
    env = {key: os.environ.get(key, value) for key, value in DEFAULTS.items()}
    if num_threads is not None:
        n = str(max(1, int(num_threads)))
        for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[key] = os.environ.get(key, n)
    return env


def set_torch_threads(num_threads: int | None) -> None:
    """Size torch's intra-op pool to the CPUs a worker was given, never above the machine's cores; a no-op when
    ``num_threads`` is None or the user chose ``OMP_NUM_THREADS`` themselves."""
    if num_threads is None or "OMP_NUM_THREADS" in os.environ:
        return
    import torch

    torch.set_num_threads(max(1, min(int(num_threads), os.cpu_count() or 1)))


def with_threads(fn, num_threads: int | None):
    """``fn`` wrapped so that the worker process it runs in first sizes torch's threads; a plain function (Ray's
    ``remote`` takes no partials), pickled by value by Ray and submitit."""
    import functools

    @functools.wraps(fn)
    def call(*args, **kwargs):
        configure_environment()
        set_torch_threads(num_threads)
        return fn(*args, **kwargs)

    return call
