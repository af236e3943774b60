"""The pose-initializer interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Protocol, runtime_checkable

import numpy as np

from zerohsi.body.params import BodyParams
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup


@dataclass
class PoseInit:
    """Per-frame estimates on the run's body model.

    body: BodyParams with B = T; valid (T,) bool (False where the tool found no person: those frames were filled and
    are reported); world: True when transl/global_orient are a world trajectory usable as is (``opt_all=false``);
    carry_previous: True for initializers with no estimate of their own (the fit starts each frame from the last);
    keypoints: the 2-D :class:`~zerohsi.poseinit.keypoints.KeypointTrack` the estimates were fitted to (video pixels,
    confidence 0 where a keypoint was not used), kept for the HSI fit's keypoint term; None without one.
    """

    body: Optional[BodyParams]
    valid: np.ndarray
    world: bool = False
    carry_previous: bool = False
    notes: list[str] = field(default_factory=list)
    keypoints: Optional[Any] = None


@runtime_checkable
class PoseInitializer(Protocol):
    def initialize(self, video: Video, masks: Masks, cameras: Sequence[Camera], setup: Setup) -> PoseInit: ...
