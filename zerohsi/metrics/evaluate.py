"""Running a list of registered metrics on a motion: the one evaluation path of runs, sweeps and baseline imports."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional

from zerohsi.errors import UserError
from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.motion import Motion

log = logging.getLogger("zerohsi")

#: reason recorded for a metric that returned nothing without saying why (third-party metrics may do that)
NOT_APPLICABLE = "inputs not available for this run"


def default_metrics(host=None) -> list[str]:
    """Every registered metric, in registration order: a run computes each one that applies to it (the others are
    recorded as skipped with their reason), so a plugin's metric is computed without being named anywhere."""
    from zerohsi.plugins import get_host

    host = host or get_host()
    return list(host.registry("metric").entries)


@dataclass
class Evaluation:
    """values: metric key -> float; skipped: metric name -> why it produced nothing (missing input, too few
    frames, missing weights...); provenance: metric name -> what produced its values (e.g. CLIP model, weights)."""

    values: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"values": dict(self.values), "skipped": dict(self.skipped), "provenance": dict(self.provenance)}

    def prefixed(self, prefix: str) -> Evaluation:
        """The same evaluation with every name prefixed (``unrefined/``)."""
        return Evaluation({prefix + k: v for k, v in self.values.items()},
                          {prefix + k: v for k, v in self.skipped.items()},
                          {prefix + k: v for k, v in self.provenance.items()})

    def update(self, other: Evaluation) -> None:
        self.values.update(other.values)
        self.skipped.update(other.skipped)
        self.provenance.update(other.provenance)


def _spec(item: Any) -> tuple[str, Any]:
    if isinstance(item, str):
        return item, None
    name = getattr(item, "name", None) or (item.get("name") if isinstance(item, dict) else None)
    options = getattr(item, "options", None) if not isinstance(item, dict) else item.get("options")
    if not name:
        raise UserError(f"Metric entry {item!r} names no metric; give a registered metric name.")
    return name, options


def evaluate(motion: Motion, ctx: EvalContext, metrics: Optional[Iterable[Any]] = None, host=None) -> Evaluation:
    """Build each metric by registered name (str, or {name, options}; default: :func:`default_metrics`) and merge
    their outputs.

    A metric that does not apply (raises :class:`MetricSkipped` or returns {}), one that raises a UserError (e.g. no
    CLIP weights) and one that crashes are listed in ``skipped`` with the reason, so one unavailable metric never
    loses the others nor the run behind them.
    """
    from zerohsi.plugins import get_host

    host = host or get_host()
    result = Evaluation()
    for item in default_metrics(host) if metrics is None else metrics:
        name, options = _spec(item)
        metric = host.build("metric", name, options)
        try:
            values = metric.compute(motion, ctx)
        except (MetricSkipped, UserError) as exc:
            result.skipped[name] = str(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - a crashing metric must not lose the hour of fitting behind it
            log.exception("metric %s failed", name)
            result.skipped[name] = f"failed: {type(exc).__name__}: {exc}"
            continue
        if not values:
            result.skipped[name] = NOT_APPLICABLE
        prov = getattr(metric, "provenance", None)
        if values and prov:
            result.provenance[name] = dict(prov)
        for key, value in values.items():
            value = float(value)
            result.values[key] = value if math.isfinite(value) else float("nan")
    return result


def evaluate_run(motion: Motion, setup: Any, *, rendered: Any = None, video: Any = None, masks: Any = None,
                 ground_truth: Optional[Motion] = None, gt_masks: Any = None, metrics: Optional[Iterable[Any]] = None,
                 others: Iterable[Motion] = (), host=None) -> Evaluation:
    """Score a reconstruction (a run's, or an imported baseline's) in its setup: the body model, scene, object and
    prompt come from ``setup``; ``rendered`` is the reconstruction rendered with them
    (:func:`zerohsi.outputs.reconstruction.render_reconstruction_video`), which is what the CLIP metrics score."""
    ctx = EvalContext(body_model=setup.avatar.body_model, scene=setup.scene, obj=setup.obj, prompt=setup.prompt,
                      video=video, rendered=rendered, ground_truth=ground_truth, gt_masks=gt_masks, masks=masks,
                      others=list(others))
    return evaluate(motion, ctx, metrics, host)
