"""Rotation and rigid-transform helpers shared by every module (one place, not re-derived per file).

Conventions: axis-angle (..,3); quaternions wxyz (..,4); 6-D rotations are the first two matrix columns (..,6).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def axis_angle_to_matrix(aa: torch.Tensor) -> torch.Tensor:
    """(...,3) axis-angle -> (...,3,3) rotation; smooth at zero (Taylor terms for small angles)."""
    theta2 = (aa * aa).sum(-1, keepdim=True)
    theta = torch.sqrt(theta2.clamp_min(1e-12))
    small = theta2 < 1e-8
    a = torch.where(small, 1 - theta2 / 6, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24, (1 - torch.cos(theta)) / theta2.clamp_min(1e-12))
    x, y, z = aa.unbind(-1)
    zero = torch.zeros_like(x)
    Kx = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(*aa.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device).expand_as(Kx)
    return eye + a[..., None] * Kx + b[..., None] * (Kx @ Kx)


def matrix_to_quat(R: torch.Tensor) -> torch.Tensor:
    """(...,3,3) -> (...,4) wxyz with w >= 0 (robust branch-free formulation)."""
    m = R
    t = [1 + m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2],
         1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2],
         1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2],
         1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2]]
    q_abs = torch.sqrt(torch.stack(t, -1).clamp_min(1e-12)) / 2
    cands = torch.stack([
        torch.stack([q_abs[..., 0] ** 2, (m[..., 2, 1] - m[..., 1, 2]) / 4, (m[..., 0, 2] - m[..., 2, 0]) / 4,
                     (m[..., 1, 0] - m[..., 0, 1]) / 4], -1) / q_abs[..., 0:1].clamp_min(1e-6),
        torch.stack([(m[..., 2, 1] - m[..., 1, 2]) / 4, q_abs[..., 1] ** 2, (m[..., 0, 1] + m[..., 1, 0]) / 4,
                     (m[..., 0, 2] + m[..., 2, 0]) / 4], -1) / q_abs[..., 1:2].clamp_min(1e-6),
        torch.stack([(m[..., 0, 2] - m[..., 2, 0]) / 4, (m[..., 0, 1] + m[..., 1, 0]) / 4, q_abs[..., 2] ** 2,
                     (m[..., 1, 2] + m[..., 2, 1]) / 4], -1) / q_abs[..., 2:3].clamp_min(1e-6),
        torch.stack([(m[..., 1, 0] - m[..., 0, 1]) / 4, (m[..., 0, 2] + m[..., 2, 0]) / 4,
                     (m[..., 1, 2] + m[..., 2, 1]) / 4, q_abs[..., 3] ** 2], -1) / q_abs[..., 3:4].clamp_min(1e-6),
    ], -2)
    best = q_abs.argmax(-1)
    q = torch.gather(cands, -2, best[..., None, None].expand(*best.shape, 1, 4)).squeeze(-2)
    q = F.normalize(q, dim=-1)
    return torch.where(q[..., :1] < 0, -q, q)


def quat_to_matrix(q: torch.Tensor) -> torch.Tensor:
    """(...,4) wxyz (any norm) -> (...,3,3)."""
    w, x, y, z = F.normalize(q, dim=-1).unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], -1).reshape(*q.shape[:-1], 3, 3)


def quat_multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product of wxyz quaternions (rotation a after b)."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ], -1)


def matrix_to_axis_angle(R: torch.Tensor) -> torch.Tensor:
    q = matrix_to_quat(R)
    return quat_to_axis_angle(q)


def quat_to_axis_angle(q: torch.Tensor) -> torch.Tensor:
    q = F.normalize(q, dim=-1)
    q = torch.where(q[..., :1] < 0, -q, q)
    sin_half = q[..., 1:].norm(dim=-1, keepdim=True)
    half = torch.atan2(sin_half, q[..., :1])
    scale = torch.where(sin_half < 1e-6, 2.0 / q[..., :1].clamp_min(1e-6), 2 * half / sin_half.clamp_min(1e-12))
    return q[..., 1:] * scale


def rotation_6d_to_matrix(d6: torch.Tensor) -> torch.Tensor:
    """(...,6) first two columns -> (...,3,3) by Gram-Schmidt (Zhou et al. 2019)."""
    a1, a2 = d6[..., 0:3], d6[..., 3:6]
    b1 = F.normalize(a1, dim=-1)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rotation_6d(R: torch.Tensor) -> torch.Tensor:
    return torch.cat([R[..., :, 0], R[..., :, 1]], dim=-1)


def make_transform(R: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(...,3,3), (...,3) -> (...,4,4)."""
    T = torch.zeros(*R.shape[:-2], 4, 4, dtype=R.dtype, device=R.device)
    T[..., :3, :3] = R
    T[..., :3, 3] = t
    T[..., 3, 3] = 1
    return T


def invert_transform(T: torch.Tensor) -> torch.Tensor:
    R, t = T[..., :3, :3], T[..., :3, 3]
    Rt = R.transpose(-1, -2)
    return make_transform(Rt, -(Rt @ t[..., None])[..., 0])


def rotation_angle_deg(Ra: torch.Tensor, Rb: torch.Tensor) -> torch.Tensor:
    """Geodesic angle between rotations, degrees."""
    rel = Ra.transpose(-1, -2) @ Rb
    cos = ((rel.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.arccos(cos))
