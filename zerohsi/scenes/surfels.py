"""Surface-sampled Gaussians ("surfels") for shapes made of primitives."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from zerohsi.gaussians import Gaussians
from zerohsi.geometry import matrix_to_quat
from zerohsi.scenes.primitives import Primitive, PrimitiveUnion


def frame_from_normals(normals: torch.Tensor) -> torch.Tensor:
    """(N,3) unit normals -> (N,3,3) rotations whose third column is the normal."""
    helper = torch.where((normals[:, 2].abs() < 0.9)[:, None], torch.tensor([0.0, 0.0, 1.0]),
                         torch.tensor([1.0, 0.0, 0.0]))
    t1 = F.normalize(torch.linalg.cross(helper, normals), dim=-1)
    t2 = torch.linalg.cross(normals, t1)
    return torch.stack([t1, t2, normals], dim=-1)


def sample_surface(prims: Sequence[Primitive], n: int, gen: torch.Generator, *, min_per_primitive: int = 0,
                   weights: Sequence[float] | None = None, hidden_tol: float = 4e-3
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """About n points on the visible outer surface of a union of primitives.

    Points are allocated by area (times an optional per-primitive weight), then those buried inside another solid
    primitive (deeper than ``hidden_tol`` metres) are dropped, so only the union's outer surface remains.
    Returns points (M,3), normals (M,3), the primitive index of each point (M,), and local coordinates (M,3).
    """
    vis = [i for i, p in enumerate(prims) if p.visible]
    w = torch.tensor([prims[i].area() * (weights[i] if weights is not None else 1.0) for i in vis],
                     dtype=torch.float64)
    counts = torch.floor(w / w.sum() * n).long().clamp_min(min_per_primitive)
    pts, nrm, idx, loc = [], [], [], []
    for i, c in zip(vis, counts.tolist(), strict=True):
        if c <= 0:
            continue
        p, nn, lc = prims[i].sample(c, gen)
        pts.append(p)
        nrm.append(nn)
        loc.append(lc)
        idx.append(torch.full((c,), i, dtype=torch.long))
    points, normals, index, local = torch.cat(pts), torch.cat(nrm), torch.cat(idx), torch.cat(loc)
    # a point is hidden when some *other* solid primitive contains it
    keep = torch.ones(len(points), dtype=torch.bool)
    solid = [j for j, p in enumerate(prims) if p.solid]
    with torch.no_grad():
        for j in solid:
            # only points inside the bounding sphere of primitive j can be inside it
            near = torch.nonzero(((points - prims[j].t).norm(dim=-1) < prims[j].bounding_radius())
                                 & (index != j)).flatten()
            if len(near):
                keep[near] &= prims[j].sdf(points[near]) > -hidden_tol
    return points[keep], normals[keep], index[keep], local[keep]


def surfel_gaussians(prims: Sequence[Primitive], n: int, seed: int, *, group: int,
                     weights: Sequence[float] | None = None, min_per_primitive: int = 16,
                     opacity: float = 0.97) -> Gaussians:
    """Gaussians covering the surface of a union of primitives, coloured by each primitive's material.

    Each Gaussian is a flat disc tangent to the surface (two tangent std-devs sized to close the gaps between
    neighbours, a thin normal std-dev), so renders look like solid, textured surfaces. Deterministic in ``seed``.
    """
    gen = torch.Generator().manual_seed(int(seed))
    points, normals, index, local = sample_surface(prims, n, gen, weights=weights,
                                                   min_per_primitive=min_per_primitive)
    colors = torch.empty_like(points)
    scales = torch.empty_like(points)
    for i in index.unique().tolist():
        m = index == i
        colors[m] = prims[i].material.colors(local[m], normals[m], gen)
        # spacing of samples on this primitive: sqrt(area / count); random (not stratified) samples leave gaps,
        # a std-dev of ~0.85 spacing closes them
        spacing = math.sqrt(prims[i].area() / max(int(m.sum()), 1))
        tangent = min(0.85 * spacing, 0.1)
        scales[m] = torch.tensor([tangent, tangent, max(0.1 * tangent, 1e-3)])
    jitter = 0.85 + 0.3 * torch.rand(len(points), 1, generator=gen)
    scales = scales * jitter
    quats = matrix_to_quat(frame_from_normals(normals))
    ops = torch.full((len(points),), float(opacity))
    return Gaussians(means=points, quats=quats, scales=scales, opacities=ops, colors=colors).with_group(group)


def union(prims: Sequence[Primitive]) -> PrimitiveUnion:
    """The SDF of the union of the solid ``prims`` as a callable (...,3) -> (...)."""
    return PrimitiveUnion(list(prims))
