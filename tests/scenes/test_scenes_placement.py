"""Placement and capture checks: each one triggered by a scene built to trigger it, each message one sentence that
says what to change; the default placement passes them all."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import torch
from synthetic_capture import eye_camera, make_capture

from zerohsi.cli.main import main
from zerohsi.scenes.placement import capture_problems, default_placement, placement_problems


def one_sentence(msg: str) -> bool:
    return msg.count(". ") == 0 and msg.endswith(".") and "\n" not in msg


def test_good_placement_has_no_problems(capture_scene):
    cam = eye_camera((-2.7, -2.6, 1.6), (-0.3, -0.6, 0.9))
    assert placement_problems(capture_scene, cam, (-0.3, -0.6)) == []


@pytest.mark.parametrize("case, xy, eye, target, fov, expect", [
    ("outside", (10.0, 0.0), (-2.5, 0.0, 1.6), (0.0, 0.0, 0.9), 60, "outside the captured region"),
    ("inside geometry", (1.5, 0.0), (-2.5, 0.0, 1.6), (1.5, 0.0, 0.9), 60, "inside scene geometry"),
    ("hidden", (2.8, 0.0), (-0.5, 0.0, 1.6), (2.8, 0.0, 0.9), 60, "hides the person"),
    ("out of view", (1.0, -1.5), (-2.0, 0.0, 1.6), (-3.0, 0.0, 0.9), 60, "does not see the whole person"),
    ("too small", (2.5, -1.5), (-2.7, 0.0, 1.6), (2.5, 0.0, 0.9), 120, "too small for segmentation"),
    ("camera in geometry", (-1.0, 0.0), (1.5, 0.0, 1.0), (-1.0, 0.0, 0.9), 60, "camera at"),
])
def test_each_placement_check_triggers(capture_scene, case, xy, eye, target, fov, expect):
    problems = placement_problems(capture_scene, eye_camera(eye, target, fov=fov), xy)
    assert problems and expect in problems[0], (case, problems)
    assert all(one_sentence(p) for p in problems), problems


def test_person_off_the_captured_floor(holed_scene):
    problems = placement_problems(holed_scene, eye_camera((1.5, 0.0, 1.6), (-1.5, 0.0, 0.9)), (-1.5, 0.0))
    assert len(problems) == 1 and "no floor" in problems[0] and "--person-at" in problems[0]
    # the same spot with floor under it is fine
    assert placement_problems(holed_scene, eye_camera((1.5, 0.0, 1.6), (-1.5, 1.8, 0.9)), (-1.5, 1.8)) == []


def test_object_inside_geometry_and_out_of_view(capture_scene):
    from zerohsi.scenes import build_object

    obj = build_object("vase", density=0.3)
    cam = eye_camera((-2.7, -2.6, 1.6), (-0.3, -0.6, 0.9))
    pose = torch.eye(4)
    pose[:3, 3] = torch.tensor([1.5, 0.0, 0.5])  # in the pillar
    problems = placement_problems(capture_scene, cam, (-0.3, -0.6), obj=obj, object_pose=pose)
    assert any("object is" in p and "inside scene geometry" in p for p in problems), problems
    pose[:3, 3] = torch.tensor([-2.5, 2.5, 0.0])  # behind the camera's field of view
    problems = placement_problems(capture_scene, cam, (-0.3, -0.6), obj=obj, object_pose=pose)
    assert any("of the object is in the camera's view" in p for p in problems), problems


def test_default_placement_is_free_supported_facing_the_camera(capture_scene):
    xy, heading, cam = default_placement(capture_scene, 320, 180)
    assert placement_problems(capture_scene, cam, xy) == []
    assert math.hypot(*xy) < 1.5  # near the capture's centre (the pillar at (1.5, 0) is avoided)
    assert float(cam.center[2]) == pytest.approx(1.6, abs=1e-4)  # eye height
    to_cam = math.degrees(math.atan2(float(cam.center[1]) - xy[1], float(cam.center[0]) - xy[0]))
    assert abs((heading - to_cam + 180) % 360 - 180) < 1.0  # facing it


def test_capture_scale_and_floor_checks(capture_scene):
    from zerohsi.scenes.realscene import scene_from_gaussians

    assert capture_problems(capture_scene)[0] == []
    g = make_capture()
    tiny = scene_from_gaussians("tiny", replace(g, means=g.means * 0.035, scales=g.scales * 0.035),
                                voxel_size=0.01)
    errors, _ = capture_problems(tiny)
    assert errors and "0.21 m across" in errors[0] and "--scale" in errors[0] and one_sentence(errors[0])
    huge = scene_from_gaussians("huge", replace(g, means=g.means * 400, scales=g.scales * 400), voxel_size=20.0)
    assert "implausibly large" in capture_problems(huge)[0][0]


def fragment_gaussians(n: int = 1000, floor: int = 3, seed: int = 0):
    """A fragment: round floaters scattered through a 2 m cube plus a few small floor splats."""
    from zerohsi.gaussians import Gaussians

    gen = torch.Generator().manual_seed(seed)
    m = n - floor
    means = torch.rand(m, 3, generator=gen) * 2.0
    f = torch.rand(floor, 3, generator=gen) * torch.tensor([2.0, 2.0, 0.0])
    quats = torch.zeros(n, 4)
    quats[:, 0] = 1
    scales = torch.cat([torch.full((m, 3), 0.05), torch.tensor([[0.03, 0.03, 0.003]]).expand(floor, 3)])
    return Gaussians(torch.cat([means, f]), quats, scales, torch.full((n,), 0.9), torch.rand(n, 3, generator=gen))


def test_import_refuses_implausible_captures(tmp_path, capsys, capture_ply):
    from zerohsi.ply import save_ply

    g = make_capture()
    tiny = tmp_path / "tiny.ply"
    save_ply(tiny, replace(g, means=g.means * 0.035, scales=g.scales * 0.035))
    assert main(["scenes", "import", str(tiny), "--voxel", "0.01"]) == 2
    err = capsys.readouterr().err
    assert "too small for a person" in err and len(err.strip().splitlines()) == 1
    frag = tmp_path / "fragment.ply"
    save_ply(frag, fragment_gaussians())
    assert main(["scenes", "import", str(frag), "--voxel", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "no floor to stand on" in err and "--up" in err
    # a room-scale capture is accepted without a word; a sparse one (few Gaussians) with a warning on stderr
    assert main(["scenes", "import", str(capture_ply), "--voxel", "0.1"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["geometry"] == "gaussians" and out.err == ""
    sparse = tmp_path / "sparse.ply"
    save_ply(sparse, make_capture(spacing=0.2))
    assert main(["scenes", "import", str(sparse), "--voxel", "0.1"]) == 0
    assert "warning: The capture holds only" in capsys.readouterr().err


def test_seated_person_with_geometry_through_the_torso(capture_scene):
    cam = eye_camera((-2.0, 0.0, 1.4), (1.5, 0.0, 0.7))
    problems = placement_problems(capture_scene, cam, (1.5, 0.0), pose="sitting", seat_z=0.45)
    assert problems and "geometry through the torso" in problems[0] and one_sentence(problems[0])
