"""Evaluation metrics (each a registered ``metric`` component) and the helper that runs them.

Kept import-light: plugin registration imports this package, so torch-based modules load on first use.
"""

from __future__ import annotations

from typing import Any

_LAZY = {"EvalContext": "zerohsi.metrics.base", "Metric": "zerohsi.metrics.base",
         "MetricSkipped": "zerohsi.metrics.base", "default_metrics": "zerohsi.metrics.evaluate",
         "Evaluation": "zerohsi.metrics.evaluate",
         "evaluate": "zerohsi.metrics.evaluate"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


__all__ = sorted(_LAZY)
