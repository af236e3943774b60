"""The viser viewer starts on a free local port, serves its page, and scrubs the timeline."""

from __future__ import annotations

import socket
import urllib.request

import numpy as np
import pytest
import torch

pytest.importorskip("viser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_viewer_serves_page_and_moves_body(tiny_body, tiny_motion):
    from run_folder import object_box

    from zerohsi.cameras import Camera
    from zerohsi.gaussians import Gaussians
    from zerohsi.outputs.viewer import start_viewer

    cams = [Camera.look_at((3, 0.1 * t, 1.5), (0, 0, 1), width=48, height=32) for t in range(len(tiny_motion))]
    motion = tiny_motion.with_cameras(cams)
    n = 50
    g = torch.Generator().manual_seed(0)
    scene = type("S", (), {})()
    scene.gaussians = Gaussians(torch.randn(n, 3, generator=g), torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1),
                                torch.full((n, 3), 0.05), torch.full((n,), 0.7), torch.rand(n, 1, 3))
    scene.floor_height = 0.0
    obj = type("O", (), {})()
    v, f = object_box()
    obj.mesh = lambda: type("M", (), {"vertices": v, "faces": f})()
    frames = np.zeros((len(motion), 32, 48, 3), np.uint8)

    viewer = start_viewer(motion, body_model=tiny_body, scene=scene, obj=obj, frames=frames,
                          port=_free_port(), title="test run")
    try:
        with urllib.request.urlopen(viewer.url + "/", timeout=20) as resp:
            assert resp.status == 200
            page = resp.read().decode("utf-8", "replace")
        assert "<html" in page.lower() and "<script" in page.lower()
        viewer.set_frame(5)
        bones = viewer.handles["body"].bones
        joints = tiny_body(motion.body[5]).joints[0].numpy()
        np.testing.assert_allclose(np.asarray(bones[2].position), joints[2], atol=1e-5)
        np.testing.assert_allclose(np.asarray(viewer.handles["object"].position),
                                   motion.object_poses[5, :3, 3].numpy(), atol=1e-5)
    finally:
        viewer.close()


def test_viewer_opens_at_the_first_camera_with_scene_source_frame_and_playback(tiny_body, tiny_motion):
    from zerohsi.cameras import Camera
    from zerohsi.gaussians import Gaussians
    from zerohsi.outputs.viewer import camera_view, start_viewer

    cams = [Camera.look_at((3, 0.1 * t, 1.5), (0, 0, 1), width=48, height=32) for t in range(len(tiny_motion))]
    motion = tiny_motion.with_cameras(cams)
    n = 30
    g = torch.Generator().manual_seed(0)
    scene = type("S", (), {})()
    scene.gaussians = Gaussians(torch.randn(n, 3, generator=g), torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1),
                                torch.full((n, 3), 0.05), torch.full((n,), 0.7), torch.rand(n, 3, generator=g))
    frames = np.zeros((len(motion), 32, 48, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(len(motion), dtype=np.uint8)[:, None, None] * 10  # each frame its own red

    viewer = start_viewer(motion, body_model=tiny_body, scene=scene, frames=frames, port=_free_port())
    try:
        start = viewer.handles["start_view"]
        np.testing.assert_allclose(start["position"], cams[0].center.numpy(), atol=1e-5)
        forward = start["look_at"] - start["position"]
        np.testing.assert_allclose(forward / np.linalg.norm(forward),
                                   (np.array([0, 0, 1.0]) - [3, 0, 1.5]) / np.linalg.norm([3, 0, 0.5]), atol=1e-5)
        assert start["up"][2] > 0.9  # +Z up in the picture, as in the source video
        assert start["fov"] == pytest.approx(2 * np.arctan(16 / float(cams[0].K[1, 1])))
        np.testing.assert_allclose(viewer.server.initial_camera.position, start["position"])
        # the scene shows in the default mode (splats); points are sent only when chosen from the menu
        layer = viewer.handles["scene"]
        assert layer.mode == "splats" and layer.nodes["splats"].visible and "points" not in layer.nodes
        layer.show("points")
        assert layer.nodes["points"].visible and not layer.nodes["splats"].visible
        layer.show("hidden")
        assert not any(node.visible for node in layer.nodes.values())
        # the source frame beside the 3D view follows the timeline; the playback buttons drive it
        press, slider = viewer.handles["press"], viewer.handles["gui_frame"]
        press(">")
        press(">")
        assert slider.value == 2 and viewer.handles["source_image"].image[0, 0, 0] == 20
        press("<")
        assert slider.value == 1
        press("|<")
        assert slider.value == 0
        press("play")
        assert viewer.handles["gui_play"].value
        press("pause")
        assert not viewer.handles["gui_play"].value
    finally:
        viewer.close()
    assert camera_view(np.eye(4), fy=50.0, height=100)["look_at"].tolist() == [0.0, 0.0, 2.0]  # OpenCV: +Z forward


def test_unknown_scene_mode_is_a_user_error(tiny_motion):
    from zerohsi.errors import UserError
    from zerohsi.outputs.viewer import start_viewer

    with pytest.raises(UserError, match="splats, points, hidden"):
        start_viewer(tiny_motion, scene_mode="mesh", port=_free_port())
