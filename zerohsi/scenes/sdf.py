"""Signed distance functions: analytic primitives and a dense grid, batched and differentiable (torch).

Every SDF maps points (...,3) in metres to distances (...) in metres, negative inside solid. Primitive SDFs are
written in the primitive's local frame (centred, axis-aligned); :class:`zerohsi.scenes.primitives.Primitive` moves
world points into that frame. Exact distances everywhere except where noted (the union of several primitives is
exact outside and a lower bound on depth inside, which is what penetration metrics need).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _norm(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    # sqrt with a floor so the gradient at exactly zero stays finite (zero vectors occur on box edges/axes)
    return torch.sqrt((x * x).sum(dim).clamp_min(1e-18))


def sdf_sphere(p: torch.Tensor, radius: float) -> torch.Tensor:
    """Sphere of ``radius`` centred at the origin."""
    return _norm(p) - radius


def sdf_box(p: torch.Tensor, half, rounding=0.0) -> torch.Tensor:
    """Axis-aligned box with half extents ``half`` (...,3); ``rounding`` > 0 rounds its edges (outer size unchanged).

    ``half`` and ``rounding`` may be tensors broadcasting against ``p[..., 0]`` (batched primitives)."""
    rounding = torch.as_tensor(rounding, dtype=p.dtype, device=p.device)
    half_t = torch.as_tensor(half, dtype=p.dtype, device=p.device) - rounding[..., None]
    q = p.abs() - half_t
    outside = _norm(q.clamp_min(0.0))
    inside = q.max(dim=-1).values.clamp_max(0.0)
    return outside + inside - rounding


def sdf_cylinder(p: torch.Tensor, radius: float, half_height: float) -> torch.Tensor:
    """Solid cylinder around the local Z axis, z in [-half_height, half_height]."""
    d = torch.stack([_norm(p[..., :2]) - radius, p[..., 2].abs() - half_height], -1)
    return d.max(dim=-1).values.clamp_max(0.0) + _norm(d.clamp_min(0.0))


def sdf_capsule(p: torch.Tensor, radius, half_length) -> torch.Tensor:
    """Capsule around the local Z axis: segment z in [-half_length, half_length] swept by a ball of ``radius``."""
    hl = torch.as_tensor(half_length, dtype=p.dtype, device=p.device)
    z = torch.minimum(torch.maximum(p[..., 2], -hl), hl)
    q = torch.stack([p[..., 0], p[..., 1], p[..., 2] - z], -1)
    return _norm(q) - radius


def sdf_torus(p: torch.Tensor, major: float, minor: float) -> torch.Tensor:
    """Torus in the local XY plane: ring radius ``major``, tube radius ``minor``."""
    q = torch.stack([_norm(p[..., :2]) - major, p[..., 2]], -1)
    return _norm(q) - minor


def sdf_halfspace(p: torch.Tensor) -> torch.Tensor:
    """Everything below the local z = 0 plane is solid (the floor)."""
    return p[..., 2]


def sdf_cone(p: torch.Tensor, r_bottom, r_top, half_height) -> torch.Tensor:
    """Capped cone (frustum) around the local Z axis, radius ``r_bottom`` at z=-h and ``r_top`` at z=+h.

    Radii and half height may be floats or tensors broadcasting against ``p[..., 0]``."""
    r1, r2, h = (torch.as_tensor(v, dtype=p.dtype, device=p.device) for v in (r_bottom, r_top, half_height))
    qx = _norm(p[..., :2])
    qy = p[..., 2]
    # exact capped-cone distance in the (radial, axial) half plane
    ca_r = torch.where(qy < 0, r1, r2)
    ca_x = qx - torch.minimum(qx, ca_r)
    ca_y = qy.abs() - h
    k2x, k2y = r2 - r1, 2 * h
    t = (((r2 - qx) * k2x + (h - qy) * k2y) / (k2x * k2x + k2y * k2y)).clamp(0.0, 1.0)
    cb_x = qx - r2 + k2x * t
    cb_y = qy - h + k2y * t
    inside = (cb_x < 0) & (ca_y < 0)
    d2 = torch.minimum(ca_x * ca_x + ca_y * ca_y, cb_x * cb_x + cb_y * cb_y)
    return torch.where(inside, -1.0, 1.0) * torch.sqrt(d2.clamp_min(1e-18))


class GridSDF(torch.nn.Module):
    """A signed distance field sampled on a dense voxel grid, read back by trilinear interpolation.

    values (Z,Y,X) metres at voxel centres; origin (3,) the world position of voxel [0,0,0]'s centre; voxel_size in
    metres. Outside the grid the field continues as the value at the nearest boundary point plus the distance to the
    grid box, so far-away points read as clearly outside. Differentiable w.r.t. the query points.
    """

    def __init__(self, values: torch.Tensor, origin, voxel_size: float) -> None:
        super().__init__()
        self.register_buffer("values", torch.as_tensor(values, dtype=torch.float32).contiguous())
        self.register_buffer("origin", torch.as_tensor(origin, dtype=torch.float32).reshape(3))
        self.voxel_size = float(voxel_size)

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        return tuple(self.values.shape)  # type: ignore[return-value]

    @property
    def bounds(self) -> torch.Tensor:
        """(2,3) min and max corner of the sampled region (voxel centres)."""
        size = torch.tensor(self.values.shape[::-1], dtype=torch.float32, device=self.origin.device) - 1
        return torch.stack([self.origin, self.origin + size * self.voxel_size])

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        shape = points.shape[:-1]
        p = points.reshape(-1, 3)
        values = self.values if self.values.device == p.device else self.values.to(p.device)  # prefer .to(device)
        lo, hi = self.bounds.to(device=p.device, dtype=p.dtype)
        inside_p = torch.minimum(torch.maximum(p, lo), hi)
        outside_dist = _norm(p - inside_p) * ((p - inside_p).abs().sum(-1) > 0)
        norm = 2 * (inside_p - lo) / (hi - lo).clamp_min(1e-9) - 1  # (x,y,z) in [-1,1]
        grid = norm.reshape(1, -1, 1, 1, 3).to(values.dtype)
        vals = F.grid_sample(values[None, None], grid, mode="bilinear", padding_mode="border",
                             align_corners=True)
        return (vals.reshape(-1).to(p.dtype) + outside_dist).reshape(shape)


def sphere_trace(sdf, origins: torch.Tensor, dirs: torch.Tensor, max_dist: torch.Tensor | float,
                 steps: int = 96, eps: float = 1e-3) -> torch.Tensor:
    """March rays (N,3) from ``origins`` along unit ``dirs`` through ``sdf``; (N,) distance of the first hit, or
    ``max_dist`` when none is hit before it. Used to check lines of sight (cameras seeing the human)."""
    max_d = torch.as_tensor(max_dist, dtype=origins.dtype).expand(origins.shape[0]).clone()
    t = torch.zeros_like(max_d)
    hit = torch.zeros_like(max_d, dtype=torch.bool)
    with torch.no_grad():
        for _ in range(steps):
            d = sdf(origins + dirs * t[:, None])
            hit = hit | ((d < eps) & (t < max_d))
            t = torch.where(hit, t, torch.minimum(t + d.clamp_min(eps), max_d))
    return torch.where(hit, t, max_d)


def yaw_matrix(yaw_deg: float, dtype=torch.float32) -> torch.Tensor:
    """(3,3) rotation about +Z by ``yaw_deg`` (counter-clockwise seen from above)."""
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)


def euler_matrix(yaw_deg: float = 0.0, pitch_deg: float = 0.0, roll_deg: float = 0.0, dtype=torch.float32):
    """(3,3) R = Rz(yaw) @ Ry(pitch) @ Rx(roll)."""
    cy, sy = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    cp, sp = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    cr, sr = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    Rz = torch.tensor([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]], dtype=dtype)
    Ry = torch.tensor([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]], dtype=dtype)
    Rx = torch.tensor([[1, 0, 0], [0, cr, -sr], [0, sr, cr]], dtype=dtype)
    return Rz @ Ry @ Rx
