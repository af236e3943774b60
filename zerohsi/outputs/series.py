"""Per-frame time series of a motion for plots: joint trajectories, scene penetration, hand–object distance.

The metrics report one number per sequence; the report shows *when* things happen, so it recomputes the same
quantities frame by frame (same definitions as zerohsi.metrics: DIMOS penetration S_t = Σ_v |min(sdf, 0)| over body
vertices, hand–object distance = min over the hand joints of the object's SDF in its own frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

import numpy as np
import torch

from zerohsi.body.params import CORE_JOINTS

if TYPE_CHECKING:
    from zerohsi.body.params import BodyModel
    from zerohsi.motion import Motion
    from zerohsi.scenes.scene import Scene, SceneObject

#: joints whose trajectories the report plots
TRAJECTORY_JOINTS = ("pelvis", "left_hand", "right_hand", "left_foot", "right_foot", "head")
CHUNK = 64


@dataclass
class MotionSeries:
    """time (T,) seconds; joints name -> (T,3) world metres; penetration_m (T,) or None; hand_object_m (T,) or
    None; contact_threshold_m."""

    time: np.ndarray
    joints: dict[str, np.ndarray] = field(default_factory=dict)
    penetration_m: Optional[np.ndarray] = None
    hand_object_m: Optional[np.ndarray] = None
    contact_threshold_m: float = 0.05


@torch.no_grad()
def motion_series(motion: Motion, body_model: Optional[BodyModel] = None, scene: Optional[Scene] = None,
                  obj: Optional[SceneObject] = None, contact_threshold_m: float = 0.05) -> MotionSeries:
    """Compute the series; without a body model only the root translation ("pelvis" ≈ transl) is available."""
    T = len(motion)
    out = MotionSeries(time=np.arange(T) / float(motion.fps or 1.0), contact_threshold_m=contact_threshold_m)
    if body_model is None:
        out.joints["root"] = motion.body.transl.detach().cpu().numpy()
        return out
    idx = body_model.core_joint_index()
    names = [n for n in TRAJECTORY_JOINTS if n in idx]
    hands = [idx[n] for n in ("left_hand", "right_hand") if n in idx] or [
        idx[n] for n in ("left_wrist", "right_wrist") if n in idx]
    from zerohsi.metrics.sdf import query_sdf, to_object_frame
    from zerohsi.outputs.export.skeleton import model_device

    device = model_device(body_model)
    joints, pene, hand_obj = [], [], []
    for s in range(0, T, CHUNK):
        params = motion.body[s:s + CHUNK].detach().to(torch.float32).to(device)
        o = body_model(params)
        joints.append(o.joints.detach().cpu())
        if scene is not None:
            d = query_sdf(scene.sdf, o.vertices.detach().cpu())
            pene.append((-d).clamp_min(0).sum(-1))
        if obj is not None and motion.object_poses is not None and hands:
            P = motion.object_poses[s:s + CHUNK].detach().cpu().to(torch.float32)
            pts = o.joints[:, hands].detach().cpu()
            hand_obj.append(query_sdf(obj.sdf, to_object_frame(pts, P)).min(-1).values)
    J = torch.cat(joints).numpy()
    out.joints = {n: J[:, idx[n]] for n in names}
    if pene:
        out.penetration_m = torch.cat(pene).numpy()
    if hand_obj:
        out.hand_object_m = torch.cat(hand_obj).numpy()
    return out


__all__ = ["CORE_JOINTS", "MotionSeries", "TRAJECTORY_JOINTS", "motion_series"]
