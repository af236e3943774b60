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
