"""Foot sliding (NeMF, as adapted in CHOIS)."""

from __future__ import annotations

import torch

from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.configs import FootSlidingConfig
from zerohsi.metrics.posed import posed_core_joints
from zerohsi.motion import Motion

#: (core joint, height threshold H in metres): ankles 8 cm, toes/feet 4 cm
FOOT_JOINTS: tuple[tuple[str, float], ...] = (
    ("left_ankle", 0.08), ("right_ankle", 0.08), ("left_foot", 0.04), ("right_foot", 0.04),
)


def estimate_floor_height(toes: torch.Tensor, fps: float, static_speed_mps: float = 0.2,
                          cluster_gap_m: float = 0.05) -> float:
    """Floor height (metres, world z) from toe trajectories (T,K,3).

    Heights of toes whose speed is below ``static_speed_mps`` are clustered (sorted, split at gaps larger than
    ``cluster_gap_m``); the floor is the median of the lowest cluster holding at least a tenth of the static
    samples, so a foot resting on a step or a stray low sample does not drag the floor. Without static toes the
    lowest toe height is used.
    """
    z = toes[..., 2]
    if toes.shape[0] < 2:
        return float(z.min())
    speed = (toes[1:] - toes[:-1]).norm(dim=-1) * fps  # (T-1,K)
    static = z[:-1][speed < static_speed_mps]
    if static.numel() == 0:
        return float(z.min())
    heights, _ = torch.sort(static)
    splits = torch.nonzero(heights[1:] - heights[:-1] > cluster_gap_m).flatten() + 1
    bounds = [0, *splits.tolist(), heights.numel()]
    need = max(1, int(0.1 * heights.numel()))
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        if hi - lo >= need:
            return float(heights[lo:hi].median())
    return float(heights[0])


def sliding_mm(joint: torch.Tensor, floor: float, threshold_m: float) -> float:
    """One joint's sliding: Σ_t |Δxy_t| · (2 − 2^(h_t/H)) over frames with h_t < H, divided by T, in millimetres.

    joint (T,3) world metres; h_t = z_t − floor; Δxy_t = xy_{t+1} − xy_t.
    """
    T = joint.shape[0]
    if T < 2:
        raise ValueError("foot sliding needs at least two frames")
    h = joint[:-1, 2] - floor
    disp = (joint[1:, :2] - joint[:-1, :2]).norm(dim=-1)
    weight = (2.0 - torch.pow(2.0, h / threshold_m)).abs()
    contrib = torch.where(h < threshold_m, disp * weight, torch.zeros_like(disp))
    return float(contrib.sum() / T * 1000.0)


class FootSliding:
    """foot_sliding (mm): mean over left/right ankle (H = 0.08 m) and left/right foot (H = 0.04 m) of
    :func:`sliding_mm`; the floor comes from :func:`estimate_floor_height` (or the scene's floor height).
    Also reports the per-joint values and ``floor_height_m``. Skipped for fewer than two frames.

    Units: millimetres per frame, with the sum divided by T as in NeMF/CHOIS (not by the T−1 displacements).
    """

    def __init__(self, cfg: FootSlidingConfig | None = None) -> None:
        self.cfg = cfg or FootSlidingConfig()

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        if len(motion) < 2:
            raise MetricSkipped("foot sliding needs at least two frames")
        names = [n for n, _ in FOOT_JOINTS]
        joints = posed_core_joints(motion, ctx, names)  # (T,4,3)
        if self.cfg.floor == "scene" and ctx.scene is not None and hasattr(ctx.scene, "floor_height"):
            floor = float(ctx.scene.floor_height)
        else:
            floor = estimate_floor_height(joints[:, 2:], motion.fps, self.cfg.static_speed_mps,
                                          self.cfg.cluster_gap_m)
        per_joint = {f"foot_sliding_{n}": sliding_mm(joints[:, i], floor, H) for i, (n, H) in enumerate(FOOT_JOINTS)}
        return {"foot_sliding": sum(per_joint.values()) / len(per_joint), **per_joint, "floor_height_m": floor}
