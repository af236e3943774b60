"""`zerohsi splat info` and `zerohsi splat render`."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
from render_helpers import random_gaussians

from zerohsi.cameras import Camera, save_cameras
from zerohsi.cli.main import main
from zerohsi.ply import save_ply


@pytest.fixture(scope="module")
def ply_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("splat") / "scene.ply"
    save_ply(path, random_gaussians(300, seed=3, sh_degree=1))
    return path


def test_info(ply_file, capsys):
    assert main(["splat", "info", str(ply_file)]) == 0
    out = capsys.readouterr().out
    assert "300 Gaussians" in out and "SH degree 1" in out and "anomalies: none" in out
    assert main(["splat", "info", str(ply_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == 300 and data["sh_degree"] == 1 and len(data["bounds_min"]) == 3


def test_render_auto_framed_and_look_at(ply_file, tmp_path, capsys):
    out = tmp_path / "view.png"
    assert main(["splat", "render", str(ply_file), "--out", str(out), "--width", "48", "--height", "32"]) == 0
    img = iio.imread(out)
    assert img.shape == (32, 48, 3)
    assert (img.max(-1) > 20).mean() > 0.1  # the scene is in view
    out2 = tmp_path / "look.png"
    assert main(["splat", "render", str(ply_file), "--out", str(out2), "--width", "40", "--height", "30",
                 "--look-at", "0,0,8,20,0,8", "--background", "1,1,1"]) == 0
    assert np.all(iio.imread(out2) == 255)  # looking away from the scene: only the white background


def test_render_with_camera_file(ply_file, tmp_path):
    save_cameras(tmp_path / "cams.json", [Camera.look_at((2, -2, 1), (0, 0, 0), width=24, height=20)])
    out = tmp_path / "cam.png"
    assert main(["splat", "render", str(ply_file), "--out", str(out), "--camera", str(tmp_path / "cams.json")]) == 0
    assert iio.imread(out).shape == (20, 24, 3)


def test_user_errors_exit_2_without_output(ply_file, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["splat", "render", str(ply_file), "--out", str(out), "--look-at", "1,2,3"]) == 2
    assert "--look-at takes 6" in capsys.readouterr().err
    (tmp_path / "bad.ply").write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 5\n"
                                       b"property float x\nend_header\n")
    assert main(["splat", "render", str(tmp_path / "bad.ply"), "--out", str(out)]) == 2
    assert main(["splat", "info", str(tmp_path / "missing.ply")]) == 2
    assert not out.exists()
