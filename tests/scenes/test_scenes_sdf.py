"""Analytic SDFs, the batched union and the grid SDF against known values."""

import math

import pytest
import torch

from zerohsi.scenes import sdf as S
from zerohsi.scenes.layout import METAL, Layout
from zerohsi.scenes.primitives import PrimitiveUnion, union_sdf


def test_sphere_box_cylinder_capsule_torus_values():
    p = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.5, 0.0, 0.0]])
    assert torch.allclose(S.sdf_sphere(p, 1.0), torch.tensor([-1.0, 1.0, -0.5]))
    half = (1.0, 0.5, 0.25)
    q = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 1.5, 0.0], [0.9, 0.0, 0.0], [2.0, 1.5, 1.25]])
    want = torch.tensor([-0.25, 1.0, math.sqrt(2.0), -0.1, math.sqrt(3.0)])
    assert torch.allclose(S.sdf_box(q, half), want, atol=1e-6)
    # rounded box keeps its outer faces, rounds its corners
    assert torch.allclose(S.sdf_box(torch.tensor([[2.0, 0.0, 0.0]]), half, 0.1), torch.tensor([1.0]), atol=1e-6)
    corner = torch.tensor([[1.0, 0.5, 0.25]])
    assert float(S.sdf_box(corner, half, 0.1)) == pytest.approx(0.1 * (math.sqrt(3) - 1), abs=1e-5)
    c = torch.tensor([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 2.0], [3.0, 0.0, 2.0]])
    assert torch.allclose(S.sdf_cylinder(c, 1.0, 1.0), torch.tensor([-1.0, 2.0, 1.0, math.sqrt(5.0)]), atol=1e-6)
    assert torch.allclose(S.sdf_capsule(c, 0.5, 1.0), torch.tensor([-0.5, 2.5, 0.5, math.sqrt(10.0) - 0.5]), atol=1e-6)
    t = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 1.0]])
    assert torch.allclose(S.sdf_torus(t, 2.0, 0.5), torch.tensor([-0.5, 1.5, 0.5]), atol=1e-6)


def test_cone_matches_cylinder_when_radii_equal_and_slope_distance():
    gen = torch.Generator().manual_seed(0)
    p = torch.randn(500, 3, generator=gen)
    assert torch.allclose(S.sdf_cone(p, 0.4, 0.4, 0.6), S.sdf_cylinder(p, 0.4, 0.6), atol=1e-5)
    # a point straight out from the middle of the slanted side: distance along the side's normal
    r1, r2, h = 1.0, 0.5, 1.0
    slope_n = torch.tensor([2.0 * h, 0.0, r1 - r2])
    slope_n = slope_n / slope_n.norm()
    mid = torch.tensor([(r1 + r2) / 2, 0.0, 0.0])
    assert float(S.sdf_cone((mid + 0.1 * slope_n)[None], r1, r2, h)) == pytest.approx(0.1, abs=1e-5)
    assert float(S.sdf_cone((mid - 0.1 * slope_n)[None], r1, r2, h)) == pytest.approx(-0.1, abs=1e-5)


def test_gradients_are_finite_unit_normals():
    p = torch.tensor([[1.5, 0.2, 0.1], [0.0, 0.0, 0.0], [1.0, 0.5, 0.25]], requires_grad=True)
    S.sdf_box(p, (1.0, 0.5, 0.25)).sum().backward()
    assert torch.isfinite(p.grad).all()
    assert torch.allclose(p.grad[0], torch.tensor([1.0, 0.0, 0.0]), atol=1e-5)


def test_placed_primitives_and_batched_union_agree():
    L = Layout("t")
    with L.place(1.0, 2.0, 30.0):
        L.box((0.2, 0.0, 0.5), (0.4, 0.6, 1.0), METAL, rounding=0.05)
        L.cylinder((0.0, 0.5, 0.3), 0.2, 0.6, METAL, axis="x")
        L.rod((0, 0, 0), (0.5, 0.5, 1.0), 0.05, METAL)
        L.torus((0, 0, 1.0), 0.3, 0.05, METAL, axis="y")
        L.cone((0.5, 0, 0.2), 0.2, 0.1, 0.4, METAL)
        L.sphere((0, -0.5, 0.3), 0.25, METAL)
    gen = torch.Generator().manual_seed(1)
    p = torch.rand(3000, 3, generator=gen) * 3 + torch.tensor([-0.5, 0.5, -0.5])
    assert torch.allclose(PrimitiveUnion(L.prims)(p), union_sdf(L.prims, p), atol=1e-6)
    # a rigidly placed sphere: distance to its world centre minus its radius
    c = L.prims[-1].t
    assert torch.allclose(L.prims[-1].sdf(p), (p - c).norm(dim=-1) - 0.25, atol=1e-5)


def test_surface_samples_lie_on_their_primitive():
    L = Layout("t")
    with L.place(0.3, -0.2, 45.0):
        L.box((0, 0, 0.5), (0.4, 0.6, 1.0), METAL, rounding=0.05)
        L.cone((0.5, 0, 0.2), 0.2, 0.1, 0.4, METAL)
        L.torus((0, 0, 1.0), 0.3, 0.05, METAL, axis="y")
        L.rod((0, 0, 0), (0.5, 0.5, 1.0), 0.05, METAL)
    gen = torch.Generator().manual_seed(0)
    for prim in L.prims:
        pts, nrm, _ = prim.sample(400, gen)
        assert float(prim.sdf(pts).abs().max()) < 2e-3, prim.kind
        outward = prim.sdf(pts + 0.01 * nrm)
        assert float(outward.min()) > 0.005, prim.kind


def test_grid_sdf_trilinear_matches_analytic_and_is_differentiable():
    vs = 0.05
    ax = torch.arange(-1.0, 1.0 + 1e-6, vs)
    zz, yy, xx = torch.meshgrid(ax, ax, ax, indexing="ij")
    values = torch.sqrt(xx ** 2 + yy ** 2 + zz ** 2) - 0.6
    grid = S.GridSDF(values, (-1.0, -1.0, -1.0), vs)
    gen = torch.Generator().manual_seed(0)
    p = (torch.rand(1000, 3, generator=gen) * 1.6 - 0.8).requires_grad_(True)
    d = grid(p)
    assert torch.allclose(d, S.sdf_sphere(p, 0.6), atol=0.01)
    d.sum().backward()
    radial = torch.nn.functional.normalize(p.detach(), dim=-1)
    assert float((p.grad * radial).sum(-1).mean()) > 0.95
    far = torch.tensor([[3.0, 0.0, 0.0]])
    assert float(grid(far)) == pytest.approx(0.4 + 2.0, abs=0.02)  # boundary value plus distance to the grid


def test_sphere_trace_finds_the_first_surface():
    hit = S.sphere_trace(lambda q: S.sdf_sphere(q - torch.tensor([0.0, 0.0, 5.0]), 1.0),
                         torch.zeros(2, 3), torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), 10.0)
    assert float(hit[0]) == pytest.approx(4.0, abs=2e-3)
    assert float(hit[1]) == pytest.approx(10.0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_sdfs_run_on_cuda_points():
    from zerohsi.scenes import build_scene

    scene = build_scene("living_room", density=0.07)
    p = torch.rand(5000, 3) * 2
    want = scene.sdf(p)
    assert torch.allclose(scene.to("cuda").sdf(p.cuda()).cpu(), want, atol=1e-5)
    vs = 0.1
    ax = torch.arange(-1.0, 1.0 + 1e-6, vs)
    zz, yy, xx = torch.meshgrid(ax, ax, ax, indexing="ij")
    grid = S.GridSDF(torch.sqrt(xx ** 2 + yy ** 2 + zz ** 2) - 0.5, (-1.0, -1.0, -1.0), vs).to("cuda")
    q = torch.rand(100, 3, device="cuda") - 0.5
    assert torch.allclose(grid(q), S.sdf_sphere(q, 0.5), atol=0.02)


def test_baked_scene_grid_matches_the_analytic_sdf():
    from zerohsi.scenes import build_scene

    scene = build_scene("bicycle", density=0.07)
    grid = scene.sdf_grid(0.1)
    assert scene.sdf_grid(0.1) is grid
    gen = torch.Generator().manual_seed(0)
    lo, hi = scene.bounds
    p = lo + (hi - lo) * torch.rand(4000, 3, generator=gen)
    exact = scene.sdf(p, include_floor=False)
    near = exact.abs() < 0.3
    assert float((grid(p) - exact)[near].abs().max()) < 0.1
