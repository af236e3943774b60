"""A temporal-smoothing refiner: a small, real component to copy from.

Rotations are filtered as rotation matrices (re-orthonormalised through the 6-D representation) rather than as
axis-angle vectors, whose components jump when an angle wraps past pi.
"""

from __future__ import annotations

import torch

from zerohsi.errors import ConfigError
from zerohsi.geometry import (
    axis_angle_to_matrix,
    matrix_to_axis_angle,
    matrix_to_rotation_6d,
    rotation_6d_to_matrix,
)
from zerohsi.motion import Motion
from zerohsi_example.config import TemporalSmoothConfig


def gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, int(round(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def smooth_sequence(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Filter (T,D) along T with edge replication, so the first and last frames are not pulled toward zero."""
    if sigma <= 0 or x.shape[0] < 2:
        return x.clone()
    k = gaussian_kernel(sigma).to(x)
    r = k.numel() // 2
    padded = torch.cat([x[:1].expand(r, -1), x, x[-1:].expand(r, -1)])
    out = torch.nn.functional.conv1d(padded.T[:, None, :], k[None, None, :])
    return out[:, 0, :].T


def smooth_rotations(aa: torch.Tensor, sigma: float) -> torch.Tensor:
    """(T, J*3) axis-angle -> filtered (T, J*3)."""
    T = aa.shape[0]
    R = axis_angle_to_matrix(aa.reshape(T, -1, 3))
    d6 = smooth_sequence(matrix_to_rotation_6d(R).reshape(T, -1), sigma).reshape(T, -1, 6)
    return matrix_to_axis_angle(rotation_6d_to_matrix(d6)).reshape(T, -1)


class TemporalSmoothRefiner:
    def __init__(self, cfg: TemporalSmoothConfig) -> None:
        if cfg.sigma_frames < 0:
            raise ConfigError("refiner.temporal_smooth.sigma_frames must be >= 0.")
        self.cfg = cfg

    def refine(self, motion: Motion, setup=None) -> tuple[Motion, dict[str, dict[str, float]]]:
        body = motion.body.detach()
        s = self.cfg.sigma_frames
        new = body.replace(
            transl=smooth_sequence(body.transl, s) if self.cfg.smooth_translation else body.transl,
            global_orient=smooth_rotations(body.global_orient, s) if self.cfg.smooth_orientation
            else body.global_orient,
            body_pose=smooth_rotations(body.body_pose, s) if self.cfg.smooth_pose else body.body_pose,
        )
        out = Motion(new, motion.body_model, motion.fps, motion.object_poses, motion.K, motion.world_to_cam,
                     motion.image_size, dict(motion.provenance))
        report = {"before": {"transl_jerk": jerk(body.transl)}, "after": {"transl_jerk": jerk(new.transl)}}
        return out, report


def jerk(x: torch.Tensor) -> float:
    """Mean magnitude of the third finite difference (per frame^3)."""
    if x.shape[0] < 4:
        return 0.0
    return float(x.diff(n=3, dim=0).norm(dim=-1).mean())
