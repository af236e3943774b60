"""Geometry from Gaussians or surface points: floor estimation, voxel occupancy and a grid SDF.

Used for real 3DGS scenes, which come without a mesh: each Gaussian is splatted into a voxel grid as an
opacity-weighted ellipsoid (a fixed stencil of samples within 1.5 std-devs along its axes), occupied voxels form the
surface shell, enclosed cavities are filled, and a signed Euclidean distance transform gives the SDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from zerohsi.gaussians import Gaussians
from zerohsi.geometry import quat_to_matrix
from zerohsi.scenes.sdf import GridSDF


@dataclass
class FloorEstimate:
    """height: floor height along +Z (metres); support: fraction of the horizontal-surface mass within +-2 bins of
    it; candidates: heights of the other strong horizontal layers (table tops, ceilings), for reports."""

    height: float
    support: float
    candidates: list[float]


def _stencil(k: int = 3, extent: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """(S,3) offsets in std-dev units on a k^3 grid within +-extent and (S,) Gaussian weights summing to 1."""
    ax = np.linspace(-extent, extent, k)
    off = np.stack(np.meshgrid(ax, ax, ax, indexing="ij"), -1).reshape(-1, 3)
    w = np.exp(-0.5 * (off ** 2).sum(-1))
    return off.astype(np.float32), (w / w.sum()).astype(np.float32)


def estimate_floor(gaussians: Gaussians, *, bin_size: float = 0.02, min_opacity: float = 0.3,
                   strong: float = 0.3) -> FloorEstimate:
    """Floor height of a +Z-up scene from its Gaussians.

    Horizontal surfels (smallest axis within ~25 deg of vertical) vote, weighted by opacity and footprint area, in a
    height histogram; the floor is the LOWEST layer holding at least ``strong`` x the largest layer's mass (so a
    big table top or ceiling does not win, and sparse floaters below the floor do not either). The height is refined
    by the weighted mean of the votes within one bin of the peak.
    """
    means = gaussians.means.detach().float().cpu()
    scales = gaussians.scales.detach().float().cpu()
    R = quat_to_matrix(gaussians.quats.detach().float().cpu())
    smallest = scales.argmin(-1)
    normal = torch.gather(R, 2, smallest[:, None, None].expand(-1, 3, 1))[..., 0]
    sorted_s = scales.sort(-1).values
    area = sorted_s[:, 1] * sorted_s[:, 2]
    horizontal = normal[:, 2].abs() > math.cos(math.radians(25))
    flat = sorted_s[:, 0] < 0.5 * sorted_s[:, 1]
    w = gaussians.opacities.detach().float().cpu() * area
    m = (gaussians.opacities.detach().float().cpu() > min_opacity) & (horizontal | ~flat)
    # flat-but-not-horizontal Gaussians are walls: they never vote; round (non-flat) blobs vote with low weight
    w = torch.where(horizontal & flat, w, 0.1 * w)
    z = means[m, 2].numpy()
    wz = w[m].numpy()
    if z.size == 0:
        z, wz = means[:, 2].numpy(), np.ones(len(means), dtype=np.float32)
    # pad the range so a floor at the lowest percentile is not at the histogram's edge (where smoothing halves it)
    lo, hi = np.percentile(z, 0.5) - 3 * bin_size, np.percentile(z, 99.5) + 3 * bin_size
    nbins = max(int(math.ceil((hi - lo) / bin_size)), 1)
    hist, edges = np.histogram(z, bins=nbins, range=(lo, hi), weights=wz)
    # smooth over three bins so a floor split across a bin edge is one layer
    sm = np.convolve(hist, np.ones(3) / 3, mode="same")
    peaks = [i for i in range(len(sm)) if sm[i] >= strong * sm.max() and sm[i] == sm[max(i - 2, 0):i + 3].max()]
    i0 = peaks[0] if peaks else int(sm.argmax())
    centre = 0.5 * (edges[i0] + edges[i0 + 1])
    near = np.abs(z - centre) <= 1.5 * bin_size
    height = float(np.average(z[near], weights=wz[near])) if near.any() and wz[near].sum() > 0 else float(centre)
    support = float(sm[max(i0 - 2, 0):i0 + 3].sum() / max(sm.sum(), 1e-12))
    cands = [float(0.5 * (edges[i] + edges[i + 1])) for i in peaks[1:6]]
    return FloorEstimate(height, support, cands)


def splat_density(gaussians: Gaussians, origin: np.ndarray, shape_zyx: tuple[int, int, int], voxel: float,
                  *, chunk: int = 200_000) -> np.ndarray:
    """(Z,Y,X) float32 opacity mass per voxel: each Gaussian spreads its opacity over a 27-sample stencil within
    1.5 std-devs along its own axes (std-devs floored at a quarter voxel so tiny Gaussians still land)."""
    off, wts = _stencil()
    Z, Y, X = shape_zyx
    dens = np.zeros(Z * Y * X, dtype=np.float64)
    n = len(gaussians)
    for s in range(0, n, chunk):
        g = gaussians.select(slice(s, s + chunk))
        mu = g.means.detach().float().cpu().numpy()
        R = quat_to_matrix(g.quats.detach().float().cpu()).numpy()
        sc = np.maximum(g.scales.detach().float().cpu().numpy(), 0.25 * voxel)
        op = g.opacities.detach().float().cpu().numpy()
        # sample positions: mu + R @ (scale * offset), for every stencil offset
        local = off[None, :, :] * sc[:, None, :]  # (n,S,3)
        pts = mu[:, None, :] + np.einsum("nij,nsj->nsi", R, local)
        idx = np.floor((pts - origin) / voxel + 0.5).astype(np.int64)
        ok = (idx[..., 0] >= 0) & (idx[..., 0] < X) & (idx[..., 1] >= 0) & (idx[..., 1] < Y) & \
             (idx[..., 2] >= 0) & (idx[..., 2] < Z)
        flat = (idx[..., 2] * Y + idx[..., 1]) * X + idx[..., 0]
        mass = op[:, None] * wts[None, :]
        dens += np.bincount(flat[ok], weights=mass[ok], minlength=Z * Y * X)
    return dens.reshape(Z, Y, X).astype(np.float32)


def points_density(points: np.ndarray, origin: np.ndarray, shape_zyx: tuple[int, int, int],
                   voxel: float) -> np.ndarray:
    """(Z,Y,X) count of surface points per voxel."""
    Z, Y, X = shape_zyx
    idx = np.floor((points - origin) / voxel + 0.5).astype(np.int64)
    ok = ((idx >= 0) & (idx < np.array([X, Y, Z]))).all(-1)
    flat = (idx[ok, 2] * Y + idx[ok, 1]) * X + idx[ok, 0]
    return np.bincount(flat, minlength=Z * Y * X).reshape(Z, Y, X).astype(np.float32)


def _fill_cavities(solid: np.ndarray, max_voxels: int) -> np.ndarray:
    """Fill empty regions enclosed by ``solid`` that are smaller than ``max_voxels`` (furniture interiors), never
    anything touching the grid border nor a region as large as a room (the free space of a closed capture)."""
    from scipy import ndimage

    labels, n = ndimage.label(~solid)
    if n <= 1:
        return solid
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    border = np.zeros(n + 1, bool)
    for face in (labels[0], labels[-1], labels[:, 0], labels[:, -1], labels[:, :, 0], labels[:, :, -1]):
        border[np.unique(face)] = True
    fill = (sizes <= max_voxels) & ~border
    fill[0] = False
    return solid | fill[labels]


def shell_to_sdf(shell: np.ndarray, origin: np.ndarray, voxel: float, floor_height: float | None,
                 max_cavity_m3: float = 8.0, surface_points: np.ndarray | None = None) -> GridSDF:
    """Occupied surface voxels (Z,Y,X bool) -> GridSDF of the solid they enclose, floor excluded.

    The shell is closed (one dilation/erosion); cavities enclosed by it (up to ``max_cavity_m3``) are filled, with
    the floor counted as solid so furniture standing on it is closed from below; the layers below the floor then
    copy the first layer above it (the floor itself is the scene's analytic half space, and objects have no bottom
    faces there). A signed Euclidean distance transform measures metres to the boundary: positive outside, negative
    inside, each side offset by half a voxel so the zero level lies between voxel centres. With ``surface_points``
    (M,3), voxels near the boundary take their distance from the nearest surface point instead (a voxel-thick shell
    otherwise pushes the surface outwards by most of a voxel)."""
    from scipy import ndimage

    solid = ndimage.binary_closing(shell, structure=np.ones((3, 3, 3), bool), iterations=1, border_value=0) | shell
    max_cavity_voxels = int(max_cavity_m3 / voxel ** 3)
    Z = shell.shape[0]
    z_centres = origin[2] + voxel * np.arange(Z)
    below = None
    if floor_height is not None:
        below = z_centres < floor_height + 0.5 * voxel
        solid[below] = True
    solid = _fill_cavities(solid, max_cavity_voxels)
    if below is not None:
        # below the floor, continue whatever stands on it straight down (no bottom faces at the floor, whose
        # solid half space the scene adds analytically)
        first = int(below.sum())
        solid[below] = solid[min(first, Z - 1)][None] if first < Z else False
    if not solid.any():
        values = np.full(shell.shape, 10.0, dtype=np.float32)
    else:
        outside = ndimage.distance_transform_edt(~solid, sampling=voxel)
        inside = ndimage.distance_transform_edt(solid, sampling=voxel)
        values = np.where(solid, -(inside - 0.5 * voxel), outside - 0.5 * voxel).astype(np.float32)
        if surface_points is not None and len(surface_points):
            values = _refine_near_surface(values, solid, origin, voxel, surface_points, floor_height)
    return GridSDF(torch.from_numpy(values), torch.from_numpy(origin.astype(np.float32)), voxel)


def _refine_near_surface(values: np.ndarray, solid: np.ndarray, origin: np.ndarray, voxel: float,
                         surface_points: np.ndarray, floor_height: float | None, band_voxels: int = 10
                         ) -> np.ndarray:
    """Within ``band_voxels`` of the boundary, replace voxel-quantised distances by distances to the nearest surface
    point (signed by the solid mask); shift the far field by the median change at the band's edge so the field
    stays continuous and monotonic across it."""
    from scipy.spatial import cKDTree

    pts = surface_points
    if floor_height is not None:  # the floor is analytic; its samples would only pull the field towards it
        pts = pts[pts[:, 2] > floor_height + 0.5 * voxel]
    if len(pts) == 0:
        return values
    band = np.abs(values) <= band_voxels * voxel
    idx = np.nonzero(band)
    centres = origin[None, :] + voxel * np.stack([idx[2], idx[1], idx[0]], -1)
    dist, _ = cKDTree(pts).query(centres, k=1, distance_upper_bound=(band_voxels + 3) * voxel, workers=-1)
    ok = np.isfinite(dist)
    sign = np.where(solid[idx], -1.0, 1.0)
    out = values.copy()
    new = sign * np.where(ok, dist, np.abs(values[idx]))
    edge = ok & (np.abs(values[idx]) > (band_voxels - 2) * voxel) & ~solid[idx]
    shift = float(np.median(new[edge] - values[idx][edge])) if edge.any() else 0.0
    out[~band & ~solid] += shift
    out[idx] = new.astype(np.float32)
    return out


def grid_frame(lo: np.ndarray, hi: np.ndarray, voxel: float, margin: float, max_voxels: int
               ) -> tuple[np.ndarray, tuple[int, int, int], float]:
    """Origin and (Z,Y,X) shape of a grid covering [lo, hi] + margin; the voxel grows if it would be too big."""
    lo = lo - margin
    hi = hi + margin
    while True:
        dims = np.ceil((hi - lo) / voxel).astype(int) + 1
        if int(np.prod(dims)) <= max_voxels:
            break
        voxel *= 1.25
    return lo.astype(np.float64), (int(dims[2]), int(dims[1]), int(dims[0])), float(voxel)


def gaussians_sdf(gaussians: Gaussians, *, voxel_size: float = 0.05, floor_height: float | None = 0.0,
                  bounds: torch.Tensor | None = None, min_mass: float = 0.35, max_voxels: int = 24_000_000
                  ) -> GridSDF:
    """A GridSDF of the solid a set of Gaussians outlines (floor excluded; see :func:`shell_to_sdf`).

    bounds (2,3) limits the grid (robust 0.5/99.5 percentiles of the means when None); voxels receiving at least
    ``min_mass`` of splatted opacity form the shell."""
    means = gaussians.means.detach().float().cpu().numpy()
    if bounds is None:
        lo, hi = np.percentile(means, 0.5, axis=0), np.percentile(means, 99.5, axis=0)
    else:
        lo, hi = bounds.detach().cpu().numpy()
    origin, shape, voxel = grid_frame(lo, hi, voxel_size, 2 * voxel_size, max_voxels)
    dens = splat_density(gaussians, origin, shape, voxel)
    op = gaussians.opacities.detach().float().cpu().numpy()
    surface = means[op > 0.3]
    if len(surface) > 2_000_000:  # plenty for a surface at voxel resolution
        surface = surface[np.random.default_rng(0).choice(len(surface), 2_000_000, replace=False)]
    return shell_to_sdf(dens >= min_mass, origin, voxel, floor_height, surface_points=surface)


def points_sdf(points: np.ndarray, *, voxel_size: float = 0.05, floor_height: float | None = 0.0,
               max_voxels: int = 24_000_000) -> GridSDF:
    """A GridSDF of the solid outlined by dense surface points (N,3) (e.g. samples of a mesh, spaced well below
    a voxel)."""
    lo, hi = points.min(0), points.max(0)
    origin, shape, voxel = grid_frame(lo, hi, voxel_size, 2 * voxel_size, max_voxels)
    dens = points_density(points, origin, shape, voxel)
    return shell_to_sdf(dens > 0, origin, voxel, floor_height, surface_points=points)
