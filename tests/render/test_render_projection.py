"""Projection numerics against gsplat's own pure-torch reference (runs on CPU)."""

from __future__ import annotations

import pytest
import torch
from render_helpers import random_gaussians

from zerohsi.cameras import Camera
from zerohsi.render.project import covariances, eval_sh, project

ti = pytest.importorskip("gsplat.cuda._torch_impl", reason="gsplat is not installed")


@pytest.mark.parametrize("antialiased", [False, True])
def test_projection_matches_gsplat_reference(antialiased):
    g = random_gaussians(400, seed=3, dtype=torch.float64, spread=2.0)
    # a camera that sees some Gaussians, clips some at the frustum edges and has some behind it
    cam = Camera.look_at((1.5, -1.0, 0.3), (0.0, 0.0, 0.0), width=64, height=48, fov_deg=70, dtype=torch.float64)
    cam.K[0, 2] += 3.5  # off-centre principal point
    p = project(g.means, g.quats, g.scales, g.opacities, cam.world_to_cam, cam.K, 64, 48, antialiased=antialiased,
                extent_sigma=3.33)
    radii, means2d, depths, conics, comp = ti._fully_fused_projection(
        g.means, covariances(g.quats, g.scales), cam.world_to_cam[None], cam.K[None], 64, 48, eps2d=0.3,
        calc_compensations=antialiased)
    vis = (radii[0] > 0).all(-1)
    assert 50 < int(vis.sum()) < 400  # the scene exercises culling
    assert torch.equal((p.radii > 0).all(-1), vis)
    assert torch.equal(p.radii[vis], radii[0][vis])
    torch.testing.assert_close(p.means2d[vis], means2d[0][vis], rtol=1e-10, atol=1e-9)
    torch.testing.assert_close(p.conics[vis], conics[0][vis], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(p.depths, depths[0])
    if antialiased:
        torch.testing.assert_close(p.opacities[vis], (g.opacities * comp[0])[vis])


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_sh_matches_gsplat_reference(degree):
    g = torch.Generator().manual_seed(degree)
    coeffs = torch.randn(50, (degree + 1) ** 2, 3, generator=g, dtype=torch.float64)
    dirs = torch.randn(50, 3, generator=g, dtype=torch.float64)
    ref = torch.clamp_min(ti._spherical_harmonics(degree, dirs, coeffs) + 0.5, 0.0)
    torch.testing.assert_close(eval_sh(coeffs, dirs), ref)
