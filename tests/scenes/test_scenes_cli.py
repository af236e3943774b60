"""`zerohsi scenes list|preview|check|import`."""

import json

import numpy as np
import pytest

from zerohsi.cli.main import main


def test_list_json(capsys):
    assert main(["scenes", "list", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["instances"]) == 22 and len(out["scenes"]) == 12 and len(out["objects"]) == 7
    assert main(["scenes", "list", "--suite", "anyinteraction-lite"]) == 0
    assert "store_push_cart" in capsys.readouterr().out


def test_preview_writes_a_png_of_the_instance(tmp_path):
    import imageio.v3 as iio

    out = tmp_path / "p.png"
    assert main(["scenes", "preview", "gym_lift_barbell", "-o", str(out), "--width", "48", "--height", "36",
                 "--density", "0.07", "--backend", "torch"]) == 0
    img = iio.imread(out)
    assert img.shape == (36, 48, 3)
    assert float(np.asarray(img, dtype=np.float32).std()) > 10  # a scene, not a flat background


def test_bad_names_exit_2_with_one_line(tmp_path, capsys):
    assert main(["scenes", "preview", "atlantis", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "neither an instance" in err and not (tmp_path / "x.png").exists()
    assert main(["scenes", "import", str(tmp_path / "none.ply")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_check_lite_suite(capsys):
    assert main(["scenes", "check", "--suite", "anyinteraction-lite", "--density", "0.05"]) == 0
    assert "gym_lift_barbell" in capsys.readouterr().out


def test_import_reports_floor_and_bounds(tmp_path, capsys):
    ply = pytest.importorskip("zerohsi.ply")
    from zerohsi.scenes import build_scene

    g = build_scene("gym", density=0.07).gaussians
    moved = g.__class__(g.means + torch_tensor([0.0, 0.0, 0.25]), g.quats, g.scales, g.opacities, g.colors)
    path = tmp_path / "gym.ply"
    ply.save_ply(path, moved)
    assert main(["scenes", "import", str(path), "--voxel", "0.1"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["floor_offset"] == pytest.approx(0.25, abs=0.02) and info["floor_estimated"] is True
    assert len(info["bounds"]) == 2


def torch_tensor(v):
    import torch

    return torch.tensor(v)
