"""`zerohsi export / report / view` on a run folder: outputs land in the run folder; user errors exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from zerohsi.cli.main import main
from zerohsi.outputs.run import RunFolder


@pytest.fixture
def tiny_run(monkeypatch, run_dir, tiny_body):
    # the test skeleton is not a registered body backend: give the run folder its model directly
    monkeypatch.setattr(RunFolder, "body_model", property(lambda self: tiny_body))
    monkeypatch.setattr(RunFolder, "scene_and_object", property(lambda self: (None, None)))
    monkeypatch.setattr(RunFolder, "object", property(lambda self: None))
    return run_dir


def test_cli_export_all_formats(tiny_run, capsys):
    assert main(["export", str(tiny_run), "--format", "npz,bvh", "-f", "glb", "--up", "y"]) == 0
    out = capsys.readouterr().out.split()
    assert [p.rsplit(".", 1)[1] for p in out] == ["npz", "bvh", "glb"]
    exports = tiny_run / "exports"
    assert sorted(p.name for p in exports.iterdir()) == ["motion.bvh", "motion.glb", "motion.npz"]
    with np.load(exports / "motion.npz", allow_pickle=False) as d:
        assert str(d["up_axis"]) == "y" and d["trans"].shape == (12, 3)


def test_cli_report(tiny_run, capsys, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", str(tiny_run), "--out", str(out)]) == 0
    assert out.is_file() and "data:video/mp4;base64," in out.read_text()
    assert main(["report", str(tiny_run.parent), "--out", str(tmp_path / "sweep.html")]) == 0  # a sweep folder
    assert "Metrics over 1 runs" in (tmp_path / "sweep.html").read_text()


@pytest.mark.parametrize("args, message", [
    (["export", "{run}", "--format", "fbx"], "Unknown export format"),
    (["export", "{run}", "--up", "x"], "Unknown up axis"),
    (["export", "{missing}"], "does not exist"),
    (["view", "{missing}"], "does not exist"),
    (["report", "{missing}"], "not a folder"),
])
def test_cli_user_errors(tiny_run, tmp_path, capsys, args, message):
    args = [a.format(run=tiny_run, missing=tmp_path / "nope") for a in args]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_cli_report_on_folder_without_runs(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "No run folders" in capsys.readouterr().err


def test_cli_export_builds_the_registered_body(tmp_path, anny_body, capsys):
    """No stand-ins: the run's config names anny, the CLI builds it from the registry and exports it."""
    from run_folder import make_run_folder

    from zerohsi.body.poses import pose_preset
    from zerohsi.motion import Motion

    p = pose_preset(anny_body, "standing", on_floor=True)
    motion = Motion(body=type(p).cat([p, p]), body_model="anny", fps=10.0)
    run = make_run_folder(tmp_path / "anny", motion)
    assert main(["export", str(run), "--format", "bvh-native", "--up", "z"]) == 0  # anny's own 104 bones
    text = (run / "exports" / "motion_anny.bvh").read_text()
    assert text.count("JOINT ") == len(anny_body.joint_names) - 1 and "Frames: 2" in text


def test_export_run_glb_carries_the_instance_object_mesh(tmp_path, tiny_body, tiny_motion):
    """A dynamic instance's object is rebuilt from the run's config and lands in the GLB with its mesh."""
    import pygltflib
    from run_folder import make_run_folder

    from zerohsi.config import load_saved_config, save_config
    from zerohsi.outputs.export import export_run

    run = make_run_folder(tmp_path / "dyn", tiny_motion.slice(0, 3))
    cfg = load_saved_config(run / "config.yaml")
    cfg.instance.name = "bedroom_move_vase"
    save_config(cfg, run / "config.yaml")
    g = pygltflib.GLTF2().load(str(export_run(run, "glb", body_model=tiny_body)))
    node = next(n for n in g.nodes if n.name == "vase")
    assert node.mesh is not None and g.meshes[node.mesh].name == "vase"
    assert g.accessors[g.meshes[node.mesh].primitives[0].attributes.POSITION].count > 8


def test_find_runs_skips_files_inside_runs(tmp_path):
    from zerohsi.outputs.run import find_runs

    for d in ("a/s0", "a/s0/exports", "b/s1", "c"):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    for d in ("a/s0", "a/s0/exports", "b/s1"):  # exports/motion.npz is an export, not a run
        (tmp_path / d / "motion.npz").write_bytes(b"")
    assert find_runs(tmp_path) == [tmp_path / "a/s0", tmp_path / "b/s1"]
    assert find_runs(tmp_path / "a/s0") == [tmp_path / "a/s0"]
