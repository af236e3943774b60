"""The ``torch`` render backend: pure PyTorch on any device (the CPU default)."""

from __future__ import annotations

from typing import Any

import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians
from zerohsi.render.project import Projected, project
from zerohsi.render.rasterize import bin_tiles, composite, pair_coefficients, untile


def rasterize_torch(gaussians: Gaussians, camera: Camera, values: torch.Tensor, background: torch.Tensor,
                    options: Any, *, chunk: int = 64, tile_size: int = 8, custom_backward: bool = True,
                    extent_sigma: float = 3.33, opacity_aware: bool = True, tile_cull: bool = True,
                    visible_only: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, Any]]:
    """values (N,C), background (C,) -> image (H,W,C), expected depth (H,W), alpha (H,W), meta.

    ``custom_backward=False`` uses plain autograd through the compositing (the reference path). Screen extents
    follow gsplat: 3.33σ shrunk to where alpha can still reach 1/255 (``opacity_aware``), so every pixel a Gaussian
    can visibly touch is composited whatever the tile size; ``extent_sigma=3, opacity_aware=False`` is the original
    3DGS cut-off. ``tile_size``/``chunk`` trade speed for memory and never change the image; nor does
    ``tile_cull`` (drop the tiles of a Gaussian's box its visible footprint misses; False bins the whole box) or
    ``visible_only`` (when gradients are wanted, project differentiably only the Gaussians in view, found by a
    no-grad pass; False differentiates through every row, the reference path; the meta rows of Gaussians out of
    view then carry no gradient).
    """
    K = camera.K.to(gaussians.means)
    w2c = camera.world_to_cam.to(gaussians.means)
    W, H = int(camera.width), int(camera.height)
    tensors = (gaussians.means, gaussians.quats, gaussians.scales, gaussians.opacities)

    def proj(means, quats, scales, opacities):
        return project(means, quats, scales, opacities, w2c, K, W, H, near_plane=options.near_plane,
                       far_plane=options.far_plane, eps2d=options.eps2d, antialiased=options.antialiased,
                       extent_sigma=extent_sigma, opacity_aware=opacity_aware)

    needs_grad = torch.is_grad_enabled() and any(t.requires_grad for t in (*tensors, values, w2c))
    if not (visible_only and needs_grad):
        p = p_full = proj(*tensors)
    else:
        # Differentiate only through the Gaussians in view: a crop render (fitting) sees a small part of the
        # scene, and the projection's backward over every row would cost more than a no-grad pass to find them.
        with torch.no_grad():
            p_all = proj(*tensors)
        vis = torch.nonzero((p_all.radii > 0).all(-1)).squeeze(1)
        p_vis = proj(*(t.index_select(0, vis) for t in tensors))
        values = values.index_select(0, vis)
        p, p_full = p_vis, None
    binning = bin_tiles(p.means2d, p.radii, p.depths, W, H, chunk=chunk, tile_size=tile_size,
                        conics=p.conics if tile_cull else None, opacities=p.opacities if tile_cull else None)
    coef = pair_coefficients(p.means2d, p.conics, p.opacities, binning)
    vals = torch.cat([values, p.depths[:, None]], 1).index_select(0, binning.pair_gauss)  # see pair_coefficients
    bg = torch.cat([background, background.new_zeros(1)])
    acc, T = composite(coef, vals, binning, bg, custom_backward=custom_backward)
    image = untile(acc, binning, W, H)
    alpha = 1.0 - untile(T, binning, W, H)
    depth = image[..., -1] / alpha.clamp_min(1e-10)
    if p is not p_full:  # meta rows for every Gaussian: the in-view ones carry their gradients
        p = Projected(*(full.index_copy(0, vis, part) for full, part in zip(
            (p_all.means2d, p_all.conics, p_all.depths, p_all.radii, p_all.opacities, p_all.means_cam),
            (p.means2d, p.conics, p.depths, p.radii, p.opacities, p.means_cam), strict=True)))
    meta = {"radii": p.radii, "means2d": p.means2d, "depths": p.depths, "conics": p.conics,
            "num_pairs": int(binning.pair_gauss.shape[0])}
    return image[..., :-1], depth, alpha, meta
