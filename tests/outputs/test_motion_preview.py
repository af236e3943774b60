"""`zerohsi motion preview`: the body over a floor grid as a PNG strip or an mp4."""

from __future__ import annotations

import numpy as np
import torch

from zerohsi.body.params import BodyParams
from zerohsi.cli.main import main
from zerohsi.motion import Motion


def _walk(anny_body, T=3):
    from zerohsi.body.poses import pose_preset

    p = pose_preset(anny_body, "standing", on_floor=True)
    body = BodyParams.cat([p.replace(transl=p.transl + torch.tensor([[0.0, -0.4 * t, 0.0]])) for t in range(T)])
    return Motion(body=body, body_model="anny", fps=2.0)


def test_preview_png_strip_and_mp4(anny_body, tmp_path, capsys):
    import imageio.v3 as iio

    motion = _walk(anny_body)
    path = tmp_path / "walk.npz"
    motion.save(path)
    out = tmp_path / "strip.png"
    assert main(["motion", "preview", str(path), "-o", str(out), "--frames", "3", "--size", "96"]) == 0
    img = iio.imread(out)
    assert img.shape == (96, 3 * 72, 3)
    for k in range(3):  # every panel shows a body (skin-coloured pixels) in its middle third
        panel = img[:, 72 * k:72 * (k + 1)].astype(int)
        skin = (panel[..., 0] - panel[..., 2] > 40)
        assert 0.05 < skin.mean() < 0.6 and skin[:, 24:48].mean() > skin[:, :12].mean()
    # the grid is world-fixed: as the body walks, the floor lines under it move between panels
    floor = img[80:, :, 0].astype(int)
    assert np.abs(floor[:, :72] - floor[:, 144:216]).mean() > 1.0
    mp4 = tmp_path / "walk.mp4"
    assert main(["motion", "preview", str(path), "-o", str(mp4), "--size", "64"]) == 0
    from zerohsi.video.io import read_video

    clip = read_video(mp4)
    frames, fps = clip.frames, clip.fps
    assert frames.shape[0] == 3 and fps == 2.0
    assert main(["motion", "preview", str(path), "-o", str(tmp_path / "x.gif")]) == 2
    assert main(["motion", "preview", str(tmp_path / "a.bvh"), "-o", str(tmp_path / "y.png")]) == 2
    assert not (tmp_path / "y.png").exists()
