"""The metric interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Protocol, runtime_checkable

from zerohsi.motion import Motion

if TYPE_CHECKING:
    from zerohsi.body.params import BodyModel
    from zerohsi.scenes.scene import Scene, SceneObject
    from zerohsi.segment.masks import Masks
    from zerohsi.video.video import Video


@dataclass
class EvalContext:
    """What a metric may look at besides the motion. Anything may be None; a metric that needs it is skipped."""

    body_model: BodyModel
    scene: Optional[Scene] = None
    obj: Optional[SceneObject] = None
    prompt: Optional[str] = None
    video: Optional[Video] = None
    rendered: Optional[Video] = None  # re-render of the reconstruction
    ground_truth: Optional[Motion] = None
    gt_masks: Optional[Masks] = None
    masks: Optional[Masks] = None
    others: list[Motion] = field(default_factory=list)  # other seeds of the same instance (diversity)
    extras: dict[str, Any] = field(default_factory=dict)


class MetricSkipped(Exception):
    """Raised by a metric that cannot be computed for this run; the message (one sentence) says why.

    The run records the metric as skipped with that reason instead of a value: a metric never stands in a
    best-possible number (e.g. consistency 1 for a single frame) or another input (e.g. the source video for the
    reconstruction's renders) for what it cannot measure.
    """


@runtime_checkable
class Metric(Protocol):
    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        """Named values (e.g. {'pene_mean': ..., 'pene_max': ..., 'pene_pct': ...}); raises :class:`MetricSkipped`
        (or returns {}) when it does not apply to this run."""
        ...
