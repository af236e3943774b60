"""Hand–object contact ratio (CHOIS)."""

from __future__ import annotations

import torch

from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.configs import ContactConfig
from zerohsi.metrics.posed import posed, posed_core_joints, vertex_set
from zerohsi.metrics.sdf import query_sdf, to_object_frame
from zerohsi.motion import Motion


class HandObjectContact:
    """contact = (frames where min over hand points of sdf_object(point) < threshold_m) / frames, in 0..1.

    The SDF's magnitude is the distance to the nearest object surface point, so points inside the object count as
    touching. Hand points are moved into the object frame with each frame's inverse object pose. Needs ``ctx.obj``
    and ``motion.object_poses``; skipped otherwise.
    """

    def __init__(self, cfg: ContactConfig | None = None) -> None:
        self.cfg = cfg or ContactConfig()

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        if ctx.obj is None or not hasattr(ctx.obj, "sdf"):
            raise MetricSkipped("no object in this instance (a static scene)")
        if motion.object_poses is None:
            raise MetricSkipped("the motion has no object poses")
        if self.cfg.hand_points == "vertices":
            idx = torch.cat([vertex_set(ctx, "left_hand"), vertex_set(ctx, "right_hand")])
            pts = posed(motion, ctx).vertices[:, idx]
        else:
            pts = posed_core_joints(motion, ctx, ["left_hand", "right_hand"])
        local = to_object_frame(pts, motion.object_poses[: pts.shape[0]])
        nearest = query_sdf(ctx.obj.sdf, local).min(-1).values  # (T,)
        return {"contact": float((nearest < self.cfg.threshold_m).float().mean())}
