"""Procedural scenes and objects: determinism, sizes, Gaussians, targets, object geometry."""

import pytest
import torch

from zerohsi.errors import UserError
from zerohsi.geometry import make_transform
from zerohsi.scenes import build_object, build_scene, object_names, scene_names
from zerohsi.scenes.procedural import build_procedural_object, build_procedural_scene
from zerohsi.scenes.sdf import yaw_matrix

DENSITY = 0.07  # ~2k Gaussians


def test_twelve_scenes_seven_objects():
    assert len(scene_names()) == 12 and len(object_names()) == 7


def test_same_seed_gives_identical_gaussians_and_other_seeds_differ():
    a = build_procedural_scene("bar", seed=3, density=DENSITY)
    b = build_procedural_scene("bar", seed=3, density=DENSITY)
    c = build_procedural_scene("bar", seed=4, density=DENSITY)
    for f in ("means", "quats", "scales", "opacities", "colors"):
        assert torch.equal(getattr(a.gaussians, f), getattr(b.gaussians, f)), f
    assert not torch.equal(a.gaussians.colors[:100], c.gaussians.colors[:100])
    # targets never depend on the seed (instances refer to them)
    assert a.targets == c.targets
    o1, o2 = build_procedural_object("mower", seed=1), build_procedural_object("mower", seed=1)
    assert torch.equal(o1.gaussians.means, o2.gaussians.means)


def test_build_scene_is_cached_and_density_controls_size():
    assert build_scene("gym", density=DENSITY) is build_scene("gym", density=DENSITY)
    small = build_scene("gym", density=DENSITY)
    assert 1000 < len(small.gaussians) < 3000
    assert small.gaussians.group is not None and int(small.gaussians.group.max()) == 0


@pytest.mark.parametrize("name", ["living_room", "playground", "store"])
def test_scene_gaussians_are_valid_and_textured(name):
    g = build_scene(name, density=DENSITY).gaussians
    assert torch.allclose(g.quats.norm(dim=-1), torch.ones(len(g)), atol=1e-5)
    assert bool((g.scales > 0).all()) and bool(((g.opacities > 0) & (g.opacities < 1)).all())
    assert bool(((g.colors >= 0) & (g.colors <= 1)).all())
    # texture: colours of floor Gaussians vary (photometric tracking needs it)
    floor = g.means[:, 2].abs() < 1e-4
    assert int(floor.sum()) > 100
    assert float(g.colors[floor].std(0).mean()) > 0.02


def test_surfels_lie_on_the_scene_surface():
    s = build_scene("bedroom", density=DENSITY)
    d = s.sdf(s.gaussians.means)
    assert float(d.abs().quantile(0.99)) < 5e-3


def test_seat_targets_are_on_seats_at_real_heights():
    seats = {("living_room", "sofa"): 0.45, ("room", "chair"): 0.45, ("bar", "stool"): 0.75,
             ("gym", "bench"): 0.46, ("bedroom", "bed"): 0.55}
    for (scene, target), h in seats.items():
        s = build_scene(scene, density=DENSITY)
        t = s.target(target)
        assert t.point[2] == pytest.approx(h, abs=0.011)
        p = torch.tensor(t.point)
        assert float(s.sdf((p - torch.tensor([0, 0, 0.03]))[None])) < 0.0  # solid just below the seat point
        assert float(s.sdf((p + torch.tensor([0, 0, 0.05]))[None])) > 0.02  # free space above it


def test_open_towards_the_camera_side_and_floor_at_zero():
    for name in scene_names():
        s = build_scene(name, density=DENSITY)
        assert s.floor_height == 0.0
        assert float(s.sdf(torch.tensor([[0.0, 0.0, -0.1]]))) < 0  # below the floor is solid
        # a point outside the room on the -Y side, at eye height, is free and sees in
        lo = s.bounds[0]
        p = torch.tensor([[0.0, float(lo[1]) - 0.5, 1.6]])
        assert float(s.sdf(p)) > 0.3, name


def test_unknown_names_raise_user_errors():
    with pytest.raises(UserError, match="Unknown scene"):
        build_scene("moon_base", procedural=True)
    with pytest.raises(UserError, match="Unknown object"):
        build_object("piano")


@pytest.mark.parametrize("name,length", [("guitar", (1.0, 1.1)), ("barbell", (2.15, 2.25)),
                                         ("shopping_cart", (0.9, 1.1)), ("mower", (1.0, 1.25))])
def test_objects_have_real_proportions(name, length):
    o = build_object(name)
    assert length[0] <= float(o.dims.max()) <= length[1]
    assert float(o.bounds[0, 2]) == pytest.approx(0.0, abs=0.01)  # rests on z = 0 of its frame
    assert o.gaussians.group is not None and int(o.gaussians.group.unique()) == 2


def test_object_surface_points_regions_and_world_sdf():
    o = build_object("office_chair")
    pts = o.surface_points(300, seed=2)
    assert pts.shape == (300, 3)
    assert torch.equal(pts, o.surface_points(300, seed=2))
    assert float(o.sdf(pts).abs().max()) < 3e-3
    for region in o.contact_regions.values():
        assert float(o.sdf(region.points).abs().max()) < 3e-3
        assert region.hand in ("left", "right", "both", "any")
    seat_h = float(o.region("backrest_left").center[2])
    assert 0.9 < seat_h < 1.1
    with pytest.raises(UserError, match="no contact region"):
        o.region("cup_holder")
    pose = make_transform(yaw_matrix(40.0), torch.tensor([1.0, -2.0, 0.3]))
    world = pts @ pose[:3, :3].T + pose[:3, 3]
    q = (world + 0.05 * torch.randn(300, 3, generator=torch.Generator().manual_seed(0))).requires_grad_(True)
    d = o.sdf_world(q, pose)
    local = (q.detach() - pose[:3, 3]) @ pose[:3, :3]
    assert torch.allclose(d.detach(), o.sdf(local), atol=1e-5)
    d.sum().backward()
    assert torch.isfinite(q.grad).all()
    posed = o.posed_gaussians(pose)
    assert torch.allclose(posed.means, o.gaussians.means @ pose[:3, :3].T + pose[:3, 3], atol=1e-5)


def test_object_mesh_covers_the_object():
    o = build_object("vase")
    m = o.mesh()
    assert len(m.faces) > 100
    lo, hi = torch.tensor(m.bounds[0]), torch.tensor(m.bounds[1])
    assert torch.allclose(lo.float(), o.bounds[0], atol=0.02) and torch.allclose(hi.float(), o.bounds[1], atol=0.02)
