"""Initializers with no estimator of their own: ``previous_frame`` (carry the last fitted pose) and ``rest``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from zerohsi.body.params import BodyParams
from zerohsi.poseinit.base import PoseInit
from zerohsi.poseinit.config import PreviousFrameConfig, RestConfig
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup


class PreviousFrameInitializer:
    """Each frame's fit starts from the pose fitted on the frame before (the paper's fallback without SMPLer-X)."""

    def __init__(self, cfg: PreviousFrameConfig | None = None) -> None:
        self.cfg = cfg or PreviousFrameConfig()

    def initialize(self, video: Video, masks: Masks, cameras: Sequence[Camera], setup: Setup) -> PoseInit:
        return PoseInit(body=None, valid=np.ones(len(video), dtype=bool), carry_previous=True)


class RestInitializer:
    """Every frame starts from one fixed body pose (the model's rest pose, or the initial state's pose).

    Root translation and orientation are the initial state's on every frame; the fit carries the root from the
    previous frame anyway, so only the body pose matters.
    """

    def __init__(self, cfg: RestConfig | None = None) -> None:
        self.cfg = cfg or RestConfig()

    def initialize(self, video: Video, masks: Masks, cameras: Sequence[Camera], setup: Setup) -> PoseInit:
        T = len(video)
        b0 = setup.body0.detach()
        pose = b0.body_pose
        if not self.cfg.from_initial_state:
            pose = setup.avatar.body_model.rest_params(1).body_pose.to(pose)
        body = BodyParams.cat([b0.replace(body_pose=pose)] * T)
        return PoseInit(body=body, valid=np.ones(T, dtype=bool))
