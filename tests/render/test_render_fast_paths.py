"""The torch backend's fast paths change the work, never the image or the gradients: tile culling (a Gaussian's box
tiles its footprint misses are dropped) and differentiating through the Gaussians in view only."""

import math

import torch
from render_helpers import random_gaussians

from zerohsi.gaussians import Gaussians
from zerohsi.render import render
from zerohsi.render.rasterize import ALPHA_MIN, pixel_basis, tile_touches


def test_tile_touches_is_a_conservative_and_useful_test():
    g = torch.Generator().manual_seed(0)
    n = 4000
    # thin, rotated ellipses around one 8x8 tile: many boxes overlap the tile while the ellipse misses it
    mean = torch.rand(n, 2, generator=g) * 40 - 16
    angle = torch.rand(n, generator=g) * math.pi
    s1, s2 = torch.rand(n, generator=g) * 6 + 0.5, torch.rand(n, generator=g) * 1.5 + 0.3
    c, s = torch.cos(angle), torch.sin(angle)
    # inverse covariance R diag(1/s1², 1/s2²) Rᵀ as (a, b, c)
    a = c * c / s1**2 + s * s / s2**2
    b = c * s * (1 / s1**2 - 1 / s2**2)
    cc = s * s / s1**2 + c * c / s2**2
    conics = torch.stack([a, b, cc], -1)
    opac = torch.rand(n, generator=g) * 0.99 + 0.01
    keep = tile_touches(mean, conics, opac, 8)
    uv = pixel_basis(torch.float32, torch.device("cpu"), 8)[:, 3:5]  # (64,2) pixel centres
    d = uv[None] - mean[:, None]
    q = a[:, None] * d[..., 0] ** 2 + 2 * b[:, None] * d[..., 0] * d[..., 1] + cc[:, None] * d[..., 1] ** 2
    reaches = (opac[:, None] * torch.exp(-0.5 * q) >= ALPHA_MIN).any(1)
    assert not (reaches & ~keep).any()  # never drops a pair that shows on the tile
    assert (~keep).sum() > 0.3 * n  # and drops plenty
    assert (keep & ~reaches).sum() < 0.05 * n  # with few kept that never show


def test_culled_render_matches_the_full_box_render():
    base = random_gaussians(400, seed=3, spread=0.8)
    # stretch half of them into thin splats, whose boxes cover many tiles the ellipse misses
    scales = base.scales.clone()
    scales[::2, 0] *= 6
    scales[::2, 1] *= 0.2
    from zerohsi.cameras import Camera

    cam = Camera.look_at((2.5, -1.0, 1.0), (0.0, 0.0, 0.0), width=64, height=48, fov_deg=50)
    outs = []
    for cull in (False, True):
        params = [t.clone().requires_grad_(True) for t in (base.means, base.quats, scales, base.opacities,
                                                            base.colors)]
        r = render(Gaussians(*params), cam, backend="torch", tile_cull=cull)
        (r.rgb.square().sum() + r.alpha.sum() + r.depth.sum() * 0.1).backward()
        outs.append((r, [p.grad for p in params]))
    (full, g_full), (cull, g_cull) = outs
    assert cull.meta["num_pairs"] < 0.9 * full.meta["num_pairs"]
    for x, y in [(full.rgb, cull.rgb), (full.alpha, cull.alpha), (full.depth, cull.depth)]:
        assert torch.allclose(x, y, atol=1e-5)
    for x, y in zip(g_full, g_cull, strict=True):
        assert torch.allclose(x, y, atol=1e-5 * float(x.abs().max()) + 1e-7)


def test_visible_only_projection_matches_differentiating_every_row():
    from zerohsi.cameras import Camera

    base = random_gaussians(300, seed=4, spread=1.0)
    # a narrow view (like fitting's crop camera) that sees part of the Gaussians
    cam = Camera.look_at((2.5, -1.0, 1.0), (0.5, 0.3, 0.2), width=40, height=32, fov_deg=20)
    outs = []
    for visible_only in (False, True):
        params = [t.clone().requires_grad_(True) for t in (base.means, base.quats, base.scales, base.opacities,
                                                            base.colors)]
        r = render(Gaussians(*params), cam, backend="torch", visible_only=visible_only)
        (r.rgb.square().sum() + r.alpha.sum() + r.depth.sum() * 0.1).backward()
        outs.append((r, [p.grad for p in params]))
    (full, g_full), (vis, g_vis) = outs
    seen = (full.meta["radii"] > 0).all(-1)
    assert 0 < int(seen.sum()) < 0.7 * len(seen)  # the case this path is for
    assert torch.equal(full.meta["radii"], vis.meta["radii"])
    for x, y in [(full.rgb, vis.rgb), (full.alpha, vis.alpha), (full.depth, vis.depth),
                 (full.meta["means2d"], vis.meta["means2d"])]:
        assert torch.allclose(x, y, atol=1e-5)
    for x, y in zip(g_full, g_vis, strict=True):
        assert torch.allclose(x, y, atol=1e-5 * float(x.abs().max()) + 1e-7)
