"""Camera conventions: a known world point lands on a known pixel in every convention."""

from __future__ import annotations

import math

import pytest
import torch

from zerohsi.cameras import Camera, load_cameras, save_cameras
from zerohsi.errors import UserError


def _px(cam: Camera, p) -> list[float]:
    uv, z = cam.project(torch.tensor(p, dtype=torch.float32))
    assert float(z) > 0
    return uv.tolist()


def test_intrinsics_from_fov_and_focal():
    K = Camera.intrinsics(200, 100, fov_deg=90.0)
    assert math.isclose(float(K[0, 0]), 100.0, rel_tol=1e-6) and float(K[0, 2]) == 100.0 and float(K[1, 2]) == 50.0
    Ky = Camera.intrinsics(200, 100, fov_y_deg=90.0)
    assert math.isclose(float(Ky[1, 1]), 50.0, rel_tol=1e-6)
    cam = Camera(Camera.intrinsics(200, 100, focal=80.0), torch.eye(4), 200, 100)
    h, v = cam.fov_deg
    assert math.isclose(h, math.degrees(2 * math.atan(100 / 80)), rel_tol=1e-6)
    assert math.isclose(v, math.degrees(2 * math.atan(50 / 80)), rel_tol=1e-6)


def test_look_at_opencv():
    cam = Camera.look_at((0.0, -5.0, 0.0), (0.0, 0.0, 0.0), width=64, height=48, focal=50.0)
    assert _px(cam, (0.0, 0.0, 0.0)) == pytest.approx([32.0, 24.0])
    assert _px(cam, (1.0, 0.0, 0.0)) == pytest.approx([32.0 + 10.0, 24.0])  # +x world is to the right
    assert _px(cam, (0.0, 0.0, 1.0)) == pytest.approx([32.0, 24.0 - 10.0])  # +z (up) is up in the image


def test_opengl_and_blender():
    K = Camera.intrinsics(64, 48, focal=40.0)
    cam = Camera.from_opengl(torch.eye(4), K, 64, 48)  # at the origin, looking down -Z, +Y up
    assert _px(cam, (0.5, 0.25, -2.0)) == pytest.approx([32 + 10.0, 24 - 5.0])
    # Blender: a camera at (0,-5,0) with rotation_euler (90deg, 0, 0) looks along +Y with +Z up
    c, s = math.cos(math.pi / 2), math.sin(math.pi / 2)
    matrix_world = torch.tensor([[1, 0, 0, 0], [0, c, -s, -5.0], [0, s, c, 0], [0, 0, 0, 1]], dtype=torch.float32)
    bcam = Camera.from_opengl(matrix_world, K, 64, 48)
    assert _px(bcam, (0.0, 0.0, 0.0)) == pytest.approx([32.0, 24.0], abs=1e-5)
    assert _px(bcam, (0.0, 0.0, 1.0)) == pytest.approx([32.0, 24.0 - 8.0], abs=1e-5)
    torch.testing.assert_close(bcam.to_opengl(), matrix_world, atol=1e-6, rtol=0)


def test_colmap():
    cam = Camera.from_colmap([1, 0, 0, 0], [0, 0, 3], "PINHOLE", [60, 50, 32, 24], 64, 48)
    assert _px(cam, (0.3, -0.6, 0.0)) == pytest.approx([32 + 6.0, 24 - 10.0])
    h = math.sqrt(0.5)  # 90 degrees about camera z
    cam = Camera.from_colmap([h, 0, 0, h], [0, 0, 3], "SIMPLE_RADIAL", [60, 32, 24, 0.01], 64, 48)
    assert _px(cam, (1.0, 0.0, 0.0)) == pytest.approx([32.0, 24.0 + 20.0], abs=1e-4)
    back = Camera.from_colmap(**{k: v for k, v in cam.to_colmap().items()})
    torch.testing.assert_close(back.world_to_cam, cam.world_to_cam, atol=1e-6, rtol=0)


def test_nerfstudio_transforms_frame():
    frame = {"transform_matrix": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 3], [0, 0, 0, 1]], "file_path": "a.png"}
    meta = {"fl_x": 60.0, "fl_y": 60.0, "cx": 32.0, "cy": 24.0, "w": 64, "h": 48}
    cam = Camera.from_nerfstudio(frame, meta)
    assert _px(cam, (0.0, 0.0, 0.0)) == pytest.approx([32.0, 24.0])
    assert _px(cam, (1.0, 0.0, 0.0)) == pytest.approx([32.0 + 20.0, 24.0])
    assert _px(cam, (0.0, 1.0, 0.0)) == pytest.approx([32.0, 24.0 - 20.0])
    ngp = Camera.from_nerfstudio(frame, {"camera_angle_x": math.radians(90), "w": 64, "h": 48})
    assert float(ngp.K[0, 0]) == pytest.approx(32.0)
    again = Camera.from_nerfstudio(cam.to_nerfstudio())
    torch.testing.assert_close(again.world_to_cam, cam.world_to_cam)


def test_camera_files(tmp_path):
    cams = [Camera.look_at((1, 2, 3), (0, 0, 0), width=32, height=24), Camera.look_at((3, 2, 1), (0, 0, 1),
                                                                                        width=16, height=16)]
    save_cameras(tmp_path / "c.json", cams)
    back = load_cameras(tmp_path / "c.json")
    assert [c.width for c in back] == [32, 16]
    torch.testing.assert_close(back[1].world_to_cam, cams[1].world_to_cam)
    (tmp_path / "bad.json").write_text('{"cameras": [{"K": 1}]}')
    with pytest.raises(UserError, match="not a camera file"):
        load_cameras(tmp_path / "bad.json")
