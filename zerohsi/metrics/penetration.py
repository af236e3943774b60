"""Body penetration into the scene (DIMOS) and hand penetration into the object (CHOIS)."""

from __future__ import annotations

import functools

import torch

from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.configs import ObjectPenetrationConfig, PenetrationConfig
from zerohsi.metrics.posed import posed, vertex_set
from zerohsi.metrics.sdf import query_sdf, to_object_frame
from zerohsi.motion import Motion


class ScenePenetration:
    """Scene penetration of the body mesh: DIMOS's depth sums and the ZeroHSI paper's Pene%.

    With d_tv the scene SDF (metres, negative inside solid) at body vertex v of V in frame t of T:
      S_t = Σ_v |min(d_tv, 0)|        (metres, summed over all body vertices)
      pene_mean = mean_t S_t;  pene_max = max_t S_t                                   (DIMOS)
      pene_pct = 100 · mean_t (#{v : d_tv < −tolerance_m} / V)   (percent of body vertices inside the scene,
                 averaged over frames: the paper's definition, Sec. 4, physical plausibility)
      pene_frames = fraction of frames (0..1) with any vertex deeper than ``tolerance_m`` (zerohsi's own extra)
    The vertex count V is the body model's (SMPL-X 10,475; anny 13,718), so pene_mean / pene_max compare only
    between runs on the same body. ``include_floor=False`` leaves out the solid below the floor (feet resting on the
    floor then never count). Needs ``ctx.scene`` (with ``sdf``); skipped otherwise.
    """

    def __init__(self, cfg: PenetrationConfig | None = None) -> None:
        self.cfg = cfg or PenetrationConfig()

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        if ctx.scene is None or not hasattr(ctx.scene, "sdf"):
            raise MetricSkipped("no scene SDF to test the body against")
        verts = posed(motion, ctx).vertices  # (T,V,3)
        sdf = ctx.scene.sdf
        if not self.cfg.include_floor:
            sdf = functools.partial(ctx.scene.sdf, include_floor=False)
        depth = (-query_sdf(sdf, verts)).clamp_min(0.0)  # (T,V) metres inside
        per_frame = depth.sum(-1)
        inside = depth > self.cfg.tolerance_m  # (T,V)
        return {"pene_mean": float(per_frame.mean()), "pene_max": float(per_frame.max()),
                "pene_pct": 100.0 * float(inside.float().mean(-1).mean()),
                "pene_frames": float(inside.any(-1).float().mean())}


class ObjectPenetration:
    """Penetration of the hands into the moving object, as in CHOIS.

    Hand vertices are moved into the object's frame with the inverse object pose of each frame and looked up in the
    object's SDF: obj_pene_cm = 100 · mean over frames and vertices of |min(sdf_object, 0)| (centimetres: the mean
    depth in metres is tiny because most hand vertices are outside). Needs ``ctx.obj`` and ``motion.object_poses``.
    """

    def __init__(self, cfg: ObjectPenetrationConfig | None = None) -> None:
        self.cfg = cfg or ObjectPenetrationConfig()

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        if ctx.obj is None or not hasattr(ctx.obj, "sdf"):
            raise MetricSkipped("no object in this instance (a static scene)")
        if motion.object_poses is None:
            raise MetricSkipped("the motion has no object poses")
        verts = posed(motion, ctx).vertices
        if self.cfg.vertices == "hands":
            idx = torch.cat([vertex_set(ctx, "left_hand"), vertex_set(ctx, "right_hand")])
            verts = verts[:, idx]
        local = to_object_frame(verts, motion.object_poses[: verts.shape[0]])
        depth = (-query_sdf(ctx.obj.sdf, local)).clamp_min(0.0)
        return {"obj_pene_cm": 100.0 * float(depth.mean())}
