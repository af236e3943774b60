"""write_outputs end to end on the real avatar: overlay video, exports and the report in the run folder."""

from __future__ import annotations

import numpy as np
import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians
from zerohsi.motion import Motion
from zerohsi.outputs.stage import write_outputs
from zerohsi.video.io import read_video


def test_write_outputs_with_real_avatar(tmp_path, avatar, standing_params):
    from run_folder import make_run_folder

    from zerohsi.clip_setup import Setup
    from zerohsi.scenes.scene import Scene

    T, W, H = 2, 48, 32
    body = standing_params.detach().clone()
    body = type(body).cat([body.replace(transl=body.transl + torch.tensor([0.1 * t, 0.0, 0.0])) for t in range(T)])
    cam = Camera.look_at((0.0, -3.0, 1.0), (0.0, 0.0, 0.9), width=W, height=H, fov_deg=45.0)
    motion = Motion(body=body, body_model="anny", fps=10.0).with_cameras([cam] * T)
    run = make_run_folder(tmp_path / "run", motion, H=H, W=W)
    for name in ("overlay.mp4", "report.html"):
        (run / name).unlink(missing_ok=True)
    n = 64
    g = torch.Generator().manual_seed(0)
    floor = Gaussians(torch.rand(n, 3, generator=g) * torch.tensor([4.0, 4.0, 0.0]) - torch.tensor([2.0, 2.0, 0.0]),
                      torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1), torch.full((n, 3), 0.03), torch.full((n,), 0.9),
                      torch.full((n, 3), 0.4))
    scene = Scene("floor", floor, lambda p: torch.full(p.shape[:-1], 1.0))
    setup = Setup(scene=scene, avatar=avatar, body0=body[0], camera0=cam, prompt="stand", seed=0)

    # (the orbit is covered by test_videos; rendering it here would double this test's time)
    out = write_outputs(run, setup, formats=("npz", "glb"), backend="torch")
    assert {"overlay", "export_npz", "export_glb", "report"} <= set(out) and "orbit" not in out
    frames = read_video(run / "overlay.mp4").frames
    band = frames.shape[1] - H  # the captions sit in a band above the panels
    assert frames.shape == (T, H + band, 3 * W, 3) and band > 0
    recon = frames[:, band:, W:2 * W].astype(float)
    assert recon[:, 8:, 18:30].mean() > recon[:, 8:, :6].mean() + 10  # the avatar shows up in the re-render
    fit = frames[:, band:, 2 * W:].astype(float)
    src = frames[:, band:, :W].astype(float)
    tint = (fit[..., 0] - fit[..., 2]) - (src[..., 0] - src[..., 2])
    assert tint[:, 8:, 18:30].mean() > tint[:, 8:, :6].mean() + 20  # the fitted body is tinted red over the source
    assert (run / "exports" / "motion.glb").is_file()
    with np.load(run / "exports" / "motion.npz", allow_pickle=False) as d:
        assert d["joints"].shape == (T, 22, 3)  # anny's npz export is retargeted onto SMPL's 22 body joints
    text = (run / "report.html").read_text()
    assert text.count("data:video/mp4;base64,") == 2 and "Joint trajectories" in text
