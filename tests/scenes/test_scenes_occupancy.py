"""Geometry from Gaussians: occupancy SDF vs analytic, floor estimation, real .ply import."""

import math

import pytest
import torch

from zerohsi.errors import UserError
from zerohsi.scenes.layout import METAL, OAK, Layout, mat
from zerohsi.scenes.occupancy import estimate_floor, gaussians_sdf, points_sdf
from zerohsi.scenes.realscene import align_gaussians, scene_from_gaussians, up_rotation
from zerohsi.scenes.surfels import surfel_gaussians, union

VOXEL = 0.05


@pytest.fixture(scope="module")
def small_scene():
    L = Layout("t")
    L.floor((3.0, 3.0), mat((0.5, 0.5, 0.5), "tiles"))
    L.box((0.0, 0.0, 0.4), (0.8, 0.6, 0.8), OAK)
    L.sphere((-0.9, 0.6, 0.5), 0.3, METAL)
    L.cylinder((0.9, -0.6, 0.3), 0.2, 0.6, METAL)
    L.box((0.8, 0.8, 0.73), (0.6, 0.5, 0.04), OAK)  # a thin table top
    g = surfel_gaussians(L.prims, 12000, 0, group=0, weights=L.weights)
    return g, union(L.prims)


def _probe(n=12000):
    gen = torch.Generator().manual_seed(0)
    return torch.rand(n, 3, generator=gen) * torch.tensor([3.0, 3.0, 1.2]) - torch.tensor([1.5, 1.5, 0.0])


def test_occupancy_sdf_agrees_with_analytic_within_a_voxel(small_scene):
    g, analytic = small_scene
    grid = gaussians_sdf(g, voxel_size=VOXEL, floor_height=0.0)
    p = _probe()
    a = torch.minimum(analytic(p), p[:, 2])  # with the floor, as Scene.sdf(include_floor=True)
    b = torch.minimum(grid(p), p[:, 2])
    near_out = (a > 0) & (a < 0.15)
    assert int(near_out.sum()) > 1000
    err = (a - b)[near_out].abs()
    assert float(err.max()) <= VOXEL + 0.025
    assert float(err.mean()) < 0.015
    # the analytic union under-estimates depth where solids touch; the grid must be at least as deep (+ tolerance)
    inside = a < 0
    assert float((b - a)[inside].max()) < VOXEL
    far = a.abs() > 0.1
    assert bool(((a[far] > 0) == (b[far] > 0)).all())  # signs agree away from surfaces


def test_grid_sdf_is_differentiable(small_scene):
    g, _ = small_scene
    grid = gaussians_sdf(g, voxel_size=VOXEL, floor_height=0.0)
    p = torch.tensor([[0.6, 0.0, 0.4]], requires_grad=True)  # 0.2 m in front of the box's +X face
    d = grid(p)
    assert float(d.detach()) == pytest.approx(0.2, abs=VOXEL)
    d.sum().backward()
    assert float(p.grad[0, 0]) > 0.7


def test_floor_is_found_after_an_unknown_offset_and_rotation(small_scene):
    g, _ = small_scene
    # pretend a capture: y-up file frame (so up is -y after this rotation), floor at 0.37 m, scale 0.5 units/m
    R_file = up_rotation("-y").T  # file -> world would be up_rotation("-y"); its inverse maps world -> file
    captured = align_gaussians(g, R_file, 2.0, torch.tensor([0.0, 0.0, 0.0]))
    captured = align_gaussians(captured, torch.eye(3), 1.0, torch.tensor([0.1, -0.74, 0.2]))
    scene = scene_from_gaussians("capture", captured, up="-y", scale=0.5, voxel_size=0.08)
    assert scene.info["floor_estimated"] is True
    assert scene.info["floor_offset"] == pytest.approx(0.37, abs=0.02)
    assert float(scene.gaussians.means[:, 2].quantile(0.01)) == pytest.approx(0.0, abs=0.03)
    lo, hi = scene.bounds
    assert float(hi[2]) == pytest.approx(0.8, abs=0.05) and float(hi[0] - lo[0]) == pytest.approx(3.0, abs=0.1)
    # geometry follows: 0.2 m above the box top is free, its centre is solid
    assert float(scene.sdf(torch.tensor([[0.1, 0.0, 1.0]]))) == pytest.approx(0.2, abs=0.08)
    assert float(scene.sdf(torch.tensor([[0.1, 0.0, 0.4]]))) < -0.1


def test_estimate_floor_ignores_a_big_table_and_floaters():
    L = Layout("t")
    L.floor((2.0, 2.0), mat((0.5, 0.5, 0.5)), center=(0.0, 0.0))
    L.box((0.0, 0.0, 0.7), (2.0, 1.8, 0.05), OAK)  # a table top bigger than the floor patch
    g = surfel_gaussians(L.prims, 6000, 0, group=0)
    gen = torch.Generator().manual_seed(0)
    floaters = surfel_gaussians([L.prims[0]], 60, 1, group=0)
    floaters.means[:, 2] = -0.5 - torch.rand(60, generator=gen)
    from zerohsi.gaussians import Gaussians

    est = estimate_floor(Gaussians.cat([g, floaters]))
    assert est.height == pytest.approx(0.0, abs=0.02)
    assert any(abs(c - 0.725) < 0.05 for c in est.candidates)


def test_mesh_geometry_path():
    import trimesh

    m = trimesh.creation.box(extents=[1.0, 1.0, 1.0])
    m.apply_translation([0.0, 0.0, 0.5])
    pts = m.sample(40000, seed=0) if "seed" in m.sample.__code__.co_varnames else m.sample(40000)
    grid = points_sdf(pts, voxel_size=VOXEL, floor_height=0.0)
    assert float(grid(torch.tensor([[0.0, 0.0, 1.3]]))) == pytest.approx(0.3, abs=VOXEL)
    assert float(grid(torch.tensor([[0.0, 0.0, 0.6]]))) == pytest.approx(-0.4, abs=VOXEL)


def test_real_ply_scene_round_trip(small_scene, tmp_path):
    ply = pytest.importorskip("zerohsi.ply")
    g, _ = small_scene
    path = tmp_path / "room.ply"
    ply.save_ply(path, g)
    from zerohsi.scenes import build_scene

    scene = build_scene("living_room", ply=str(path))
    assert scene.source == str(path) and len(scene.gaussians) == len(g)
    assert scene.info["geometry"] == "gaussians" and math.isfinite(scene.info["floor_offset"])
    assert float(scene.sdf(torch.tensor([[0.0, 0.0, 0.4]]))) < 0  # inside the box
    with pytest.raises(UserError, match="does not exist"):
        build_scene("living_room", ply=str(tmp_path / "nope.ply"))
    with pytest.raises(UserError, match="Up axis"):
        up_rotation("up")


def test_a_closed_room_keeps_its_free_space_but_furniture_is_filled():
    L = Layout("closed")
    wall = mat((0.8, 0.8, 0.8))
    L.floor((4.0, 4.0), wall)
    for lo, hi in (((-2.1, -2.1, 0), (-2.0, 2.1, 2.5)), ((2.0, -2.1, 0), (2.1, 2.1, 2.5)),
                   ((-2.0, -2.1, 0), (2.0, -2.0, 2.5)), ((-2.0, 2.0, 0), (2.0, 2.1, 2.5)),
                   ((-2.1, -2.1, 2.5), (2.1, 2.1, 2.6))):
        L.block(lo, hi, wall)
    L.box((0.8, 0.8, 0.5), (0.8, 0.8, 1.0), OAK)  # a closed cabinet
    g = surfel_gaussians(L.prims, 12000, 0, group=0)
    grid = gaussians_sdf(g, voxel_size=0.1, floor_height=0.0)
    assert float(grid(torch.tensor([[-0.8, -0.8, 1.2]]))) > 0.5  # the room's free space stays free
    assert float(grid(torch.tensor([[0.8, 0.8, 0.5]]))) < -0.2  # the cabinet's inside is solid


def test_procedural_scene_mesh_export():
    from zerohsi.scenes import build_scene

    m = build_scene("cafe", density=0.07).mesh()
    assert len(m.faces) > 1000 and float(m.bounds[1][2]) > 2.0
