"""Running a list of registered metrics on a motion."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zerohsi.errors import UserError
from zerohsi.metrics.base import EvalContext
from zerohsi.motion import Motion

#: what `zerohsi bench` computes when a config names no metrics
DEFAULT_METRICS: tuple[str, ...] = (
    "clip_score", "clip_consistency", "penetration", "foot_sliding", "contact", "object_penetration",
    "mpjpe", "root_error", "orient_error", "object_error", "camera_error", "mask_iou",
)


@dataclass
class Evaluation:
    """values: metric key -> float; skipped: metric name -> why it produced nothing (missing input, weights...)."""

    values: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _spec(item: Any) -> tuple[str, Any]:
    if isinstance(item, str):
        return item, None
    name = getattr(item, "name", None) or (item.get("name") if isinstance(item, dict) else None)
    options = getattr(item, "options", None) if not isinstance(item, dict) else item.get("options")
    if not name:
        raise UserError(f"Metric entry {item!r} names no metric; give a registered metric name.")
    return name, options


def evaluate(motion: Motion, ctx: EvalContext, metrics: Iterable[Any] = DEFAULT_METRICS, host=None) -> Evaluation:
    """Build each metric by registered name (str, or {name, options}) and merge their outputs.

    A metric whose inputs are missing returns {} and is listed in ``skipped``; one that raises a UserError (e.g. no
    CLIP weights) is listed with its message, so one unavailable metric never loses the others.
    """
    from zerohsi.plugins import get_host

    host = host or get_host()
    result = Evaluation()
    for item in metrics:
        name, options = _spec(item)
        metric = host.build("metric", name, options)
        try:
            values = metric.compute(motion, ctx)
        except UserError as exc:
            result.skipped[name] = str(exc)
            continue
        if not values:
            result.skipped[name] = "inputs not available for this run"
        for key, value in values.items():
            value = float(value)
            result.values[key] = value if math.isfinite(value) else float("nan")
    return result
