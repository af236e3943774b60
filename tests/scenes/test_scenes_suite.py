"""The AnyInteraction suite: every instance loads and is geometrically sound; bad files give one-sentence errors."""

import shutil
from pathlib import Path

import pytest
import torch

from zerohsi.cameras import Camera
from zerohsi.errors import UserError
from zerohsi.scenes import build_object, build_scene
from zerohsi.scenes.checks import check_geometry
from zerohsi.scenes.suite import ACTIONS, check_instance, default_suites_dir, load_suite

DENSITY = 0.07


@pytest.fixture(scope="module")
def suite():
    return load_suite("anyinteraction")


def test_suite_counts(suite):
    assert len(suite) == 22
    assert sum(i.kind == "static" for i in suite.instances) == 13
    assert sum(i.kind == "dynamic" for i in suite.instances) == 9
    assert {i.scene for i in suite.instances} == set(build_scene.__globals__["scene_names"]())
    assert {i.object for i in suite.instances if i.object} == set(build_object.__globals__["object_names"]())
    assert all(i.seeds == [0, 1, 2, 3, 4] for i in suite.instances)
    lite = load_suite("anyinteraction-lite")
    assert [i.kind for i in lite.instances].count("static") == 2 and len(lite) == 4
    assert suite.get("living_room_sit_sofa").scene == "living_room"
    with pytest.raises(UserError, match="no instance"):
        suite.get("nope")
    with pytest.raises(UserError, match="Unknown suite"):
        load_suite("anyinteraction-huge")


def test_programs_last_five_seconds_and_use_known_actions(suite):
    for inst in suite.instances:
        assert inst.duration_s == pytest.approx(inst.num_frames / inst.fps - 0.1, abs=0.11), inst.name
        assert all(step.action in ACTIONS for step in inst.program)
        if inst.dynamic:
            assert any(s.action in ("pick_up", "push") for s in inst.program), inst.name


def test_instance_camera_and_object_pose(suite):
    inst = suite.get("gym_lift_barbell")
    cam = inst.camera(64, 48)
    assert isinstance(cam, Camera) and (cam.width, cam.height) == (64, 48)
    assert torch.allclose(cam.center, torch.tensor(inst.camera_spec.eye), atol=1e-5)
    T = inst.object_pose()
    assert T.shape == (4, 4) and torch.allclose(T[:3, 3], torch.tensor([1.2, 0.3, 0.0]))
    assert suite.get("room_sit_chair").object_pose() is None


def test_every_instance_is_geometrically_sound(suite):
    """Names resolve; the body capsule stands free at every waypoint; objects rest on their surface; the camera
    sees the person head to foot (unoccluded) and the object."""
    for inst in suite.instances:
        scene = build_scene(inst.scene, density=DENSITY)
        obj = build_object(inst.object, density=0.3) if inst.object else None
        check_instance(inst, scene.targets, set(obj.contact_regions) if obj is not None else None)
        rep = check_geometry(inst, scene, obj, width=64, height=48)
        assert rep.ok, (inst.name, rep.problems)


def test_geometry_check_catches_a_start_inside_the_sofa(suite):
    from dataclasses import replace

    inst = suite.get("living_room_sit_sofa")
    sofa = build_scene("living_room", density=DENSITY).target("sofa").point
    bad = replace(inst, human_init=replace(inst.human_init, root_xy=(sofa[0], sofa[1] + 0.2)))
    rep = check_geometry(bad, build_scene("living_room", density=DENSITY), None, width=64, height=48)
    assert any("penetrates" in p for p in rep.problems)


GOOD = """name: bad
kind: static
scene: living_room
prompt: a person sits down
human_init: {root_xy: [-1.8, -0.2], yaw_deg: 40}
camera: {eye: [0, -3, 1.8], target: [0, 0, 0.8]}
program:
  - walk_to: {target: sofa_left, duration_s: 2.0}
  - sit: {target: sofa_left, duration_s: 3.0}
"""


@pytest.fixture()
def suites_dir(tmp_path):
    root = tmp_path / "suites"
    (root / "anyinteraction" / "instances").mkdir(parents=True)
    shutil.copy(default_suites_dir() / "anyinteraction" / "suite.yaml", root / "anyinteraction" / "suite.yaml")
    return root


def _write(root: Path, name: str, text: str) -> None:
    (root / "anyinteraction" / "instances" / f"{name}.yaml").write_text(text)


def test_a_good_custom_instance_loads(suites_dir):
    _write(suites_dir, "bad", GOOD)
    suite = load_suite("anyinteraction", suites_dir)
    assert suite.names() == ["bad"] and suite.instances[0].program[1].args == {"target": "sofa_left"}


@pytest.mark.parametrize("text,match", [
    ("name: x\n  - : [", "not valid YAML"),
    (GOOD.replace("sit:", "dance:"), "unknown action 'dance'"),
    (GOOD.replace(", duration_s: 3.0", ""), "missing duration_s"),
    (GOOD.replace("duration_s: 3.0", "duration_s: -1"), "must be positive"),
    (GOOD.replace("kind: static", "kind: static\nobject: vase"), "only allowed for dynamic"),
    (GOOD.replace("yaw_deg: 40", "yaw_deg: 40, speed: 3"), "unknown key"),
    (GOOD.replace("walk_to: {target: sofa_left", "carry_to: {target: sofa_left"), "needs an object"),
    (GOOD.replace("kind: static", "kind: dynamic\nobject: vase\nobject_init: {position: [0, 0, 0]}")
         .replace("walk_to: {target: sofa_left", "carry_to: {target: sofa_left"), "after a pick_up"),
    (GOOD.replace("[-1.8, -0.2]", "[-1.8]"), "list of 2 numbers"),
    (GOOD.replace("kind: static", "kind: sometimes"), "must be one of static, dynamic"),
    (GOOD.replace("name: bad", "name: other"), "must match the file name"),
    (GOOD.replace("  - walk_to: {target: sofa_left, duration_s: 2.0}\n", "  - walk_to: sofa\n"),
     "must map to its arguments"),
])
def test_malformed_instance_files_give_one_sentence_user_errors(suites_dir, text, match):
    _write(suites_dir, "bad", text)
    with pytest.raises(UserError, match=match) as info:
        load_suite("anyinteraction", suites_dir)
    msg = str(info.value)
    assert "bad.yaml" in msg and msg.endswith(".") and "\n" not in msg


def test_unknown_target_and_region_names_are_reported(suites_dir):
    _write(suites_dir, "bad", GOOD.replace("sit: {target: sofa_left", "sit: {target: throne"))
    inst = load_suite("anyinteraction", suites_dir).instances[0]
    with pytest.raises(UserError, match="unknown target 'throne'"):
        check_instance(inst, build_scene("living_room", density=DENSITY).targets)
    _write(suites_dir, "bad", GOOD.replace("sit: {target: sofa_left", "sit: {target: coffee_table"))
    from zerohsi.scenes.suite import _load_suite_cached

    _load_suite_cached.cache_clear()
    inst = load_suite("anyinteraction", suites_dir).instances[0]
    with pytest.raises(UserError, match="sit needs a sit target"):
        check_instance(inst, build_scene("living_room", density=DENSITY).targets)


def test_missing_ply_of_a_scene_is_a_user_error(suites_dir, tmp_path):
    f = suites_dir / "anyinteraction" / "suite.yaml"
    f.write_text(f.read_text().replace("  bar: {}", "  bar: {ply: captures/nowhere.ply, up: -y}"))
    suite = load_suite("anyinteraction", suites_dir)
    assert suite.scenes["bar"].ply == "captures/nowhere.ply" and suite.scenes["bar"].up == "-y"
    from zerohsi.scenes.realscene import load_real_scene

    with pytest.raises(UserError, match="does not exist") as info:
        load_real_scene(suite.scenes["bar"], suites_dir / "anyinteraction")
    assert "nowhere.ply" in str(info.value)
    with pytest.raises(UserError, match="does not exist"):
        build_scene("bar", ply=str(tmp_path / "missing.ply"))
