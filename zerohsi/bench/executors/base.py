"""The executor interface: fan a sweep's runs out somewhere and yield their records as they finish."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Optional, Protocol, runtime_checkable


@runtime_checkable
class Executor(Protocol):
    def map(self, fn: Callable[..., dict[str, Any]], specs: list, run_fn: Optional[Callable] = None
            ) -> Iterator[tuple[Any, dict[str, Any]]]:
        """Call ``fn(spec, run_fn)`` for every spec; yield (spec, record) pairs in completion order.

        ``fn`` writes only into ``spec.run_dir``; a run that crashes its worker is yielded as a failed record.
        """
        ...


def crashed_record(spec: Any, error: str) -> dict[str, Any]:
    """The record of a run whose worker died before writing one."""
    return {"method": "zerohsi", "variant": spec.variant.name, "instance": spec.instance, "seed": spec.seed,
            "suite": spec.suite, "dynamic": spec.dynamic, "scene": getattr(spec, "scene", None),
            "run_dir": spec.run_dir, "status": "failed",
            "error": error, "metrics": {}, "timings": {}, "config_hash": None}
