"""Synthetic "captures" for the own-scene tests: Gaussians a 3DGS trainer could have written, built in code.

``make_capture``: a 6 m x 6 m floor of flat splats with a 1 x 1 x 2 m pillar at (1.5, 0) and, optionally, a
hole in the floor; every Gaussian is explicit, so each placement check can be triggered where the test wants.
"""

from __future__ import annotations

import torch


def flat_splats(points: torch.Tensor, normal: tuple[float, float, float], size: float, color) -> dict:
    """Flat discs at ``points`` (N,3) facing ``normal``, std-dev ``size``."""
    from zerohsi.geometry import matrix_to_quat
    from zerohsi.scenes.surfels import frame_from_normals

    n = torch.tensor(normal, dtype=torch.float32).expand(len(points), 3)
    quats = matrix_to_quat(frame_from_normals(n.contiguous()))
    scales = torch.tensor([size, size, 0.1 * size]).expand(len(points), 3).clone()
    colors = torch.tensor(color, dtype=torch.float32).expand(len(points), 3).clone()
    return {"means": points.float(), "quats": quats, "scales": scales, "opacities": torch.full((len(points),), 0.95),
            "colors": colors}


def grid(xs, ys, value: float = 0.0) -> torch.Tensor:
    """Points of a horizontal grid at height ``value``."""
    a, b = torch.meshgrid(torch.as_tensor(xs, dtype=torch.float32), torch.as_tensor(ys, dtype=torch.float32),
                          indexing="ij")
    return torch.stack([a.reshape(-1), b.reshape(-1), torch.full((a.numel(),), value)], -1)


def make_capture(hole: bool = False, pillar: bool = True, spacing: float = 0.1, bench: bool = False):
    """Gaussians of the synthetic capture (+Z up, metres, floor at z = 0)."""
    from zerohsi.gaussians import Gaussians

    r = torch.arange(-3.0, 3.0 + 1e-6, spacing)
    floor = grid(r, r)
    if hole:  # no floor captured in x in [-2, -1], y in [-1, 1]
        keep = ~((floor[:, 0] > -2.05) & (floor[:, 0] < -0.95) & (floor[:, 1].abs() < 1.05))
        floor = floor[keep]
    # a chequered floor, so renders have texture for camera tracking
    cell = ((floor[:, 0] // 0.5) + (floor[:, 1] // 0.5)) % 2
    parts = [flat_splats(floor, (0, 0, 1), 0.6 * spacing, (0.55, 0.5, 0.45))]
    parts[0]["colors"][cell == 1] = torch.tensor([0.3, 0.35, 0.5])
    # low walls around the edge, so the capture has a vertical extent and some texture
    h = torch.arange(0.05, 2.5, spacing)
    for axis_val, normal, axis in ((-3.0, (1, 0, 0), 0), (3.0, (-1, 0, 0), 0), (-3.0, (0, 1, 0), 1),
                                   (3.0, (0, -1, 0), 1)):
        parts.append(flat_splats(_wall(r, h, axis, axis_val), normal, 0.6 * spacing,
                                 (0.8, 0.75, 0.6) if axis == 0 else (0.6, 0.7, 0.75)))
    if pillar:  # a 1 x 1 x 2 m block centred at (1.5, 0)
        s = torch.arange(-0.5, 0.5 + 1e-6, spacing / 2)
        z = torch.arange(0.0, 2.0 + 1e-6, spacing / 2)
        for sign in (-1, 1):
            px = _wall(s, z, 0, 0.5 * sign) + torch.tensor([1.5, 0.0, 0.0])
            py = _wall(s, z, 1, 0.5 * sign) + torch.tensor([1.5, 0.0, 0.0])
            parts.append(flat_splats(px, (sign, 0, 0), 0.3 * spacing, (0.7, 0.2, 0.2)))
            parts.append(flat_splats(py, (0, sign, 0), 0.3 * spacing, (0.7, 0.2, 0.2)))
        top = grid(s + 1.5, s, value=2.0)
        parts.append(flat_splats(top, (0, 0, 1), 0.3 * spacing, (0.7, 0.2, 0.2)))
    if bench:  # a 1.2 x 0.5 m bench, 0.45 m high, centred at (-1.5, 1.8)
        c = torch.tensor([-1.5, 1.8, 0.0])
        top = grid(torch.arange(-0.6, 0.6 + 1e-6, spacing / 2), torch.arange(-0.25, 0.25 + 1e-6, spacing / 2), 0.45)
        parts.append(flat_splats(top + c, (0, 0, 1), 0.3 * spacing, (0.4, 0.3, 0.2)))
        z = torch.arange(0.0, 0.45, spacing / 2)
        for sign in (-1, 1):
            parts.append(flat_splats(_wall(torch.arange(-0.6, 0.6 + 1e-6, spacing / 2), z, 1, 0.25 * sign) + c,
                                     (0, sign, 0), 0.3 * spacing, (0.35, 0.25, 0.15)))
            parts.append(flat_splats(_wall(torch.arange(-0.25, 0.25 + 1e-6, spacing / 2), z, 0, 0.6 * sign) + c,
                                     (sign, 0, 0), 0.3 * spacing, (0.35, 0.25, 0.15)))
    return Gaussians(**{k: torch.cat([p[k] for p in parts]) for k in parts[0]})


def _wall(u, z, axis: int, value: float) -> torch.Tensor:
    """Points of a vertical wall at x = value (axis 0) or y = value (axis 1), spanning u horizontally and z."""
    a, b = torch.meshgrid(torch.as_tensor(u, dtype=torch.float32), torch.as_tensor(z, dtype=torch.float32),
                          indexing="ij")
    a, b = a.reshape(-1), b.reshape(-1)
    c = torch.full_like(a, value)
    return torch.stack([c, a, b], -1) if axis == 0 else torch.stack([a, c, b], -1)


def eye_camera(eye, target, width=320, height=180, fov=60.0):
    from zerohsi.cameras import Camera

    return Camera.look_at(eye, target, width=width, height=height, fov_deg=fov)


__all__ = ["eye_camera", "make_capture"]
