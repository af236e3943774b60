"""mp4 writing, mask overlays, side-by-side comparisons and the orbit render."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from zerohsi.outputs.video import (
    ReconstructionFrames,
    caption_band,
    fit_overlay,
    orbit_cameras,
    render_orbit,
    render_reconstruction_layers,
    side_by_side,
    write_side_by_side,
)
from zerohsi.segment.masks import Masks
from zerohsi.video.io import read_video, write_mp4


def _frames(T=5, H=31, W=41, seed=0):
    rng = np.random.default_rng(seed)
    base = np.zeros((T, H, W, 3), np.uint8)
    for t in range(T):
        base[t, :, : 5 + 6 * t] = (200, 120, 40)  # a bar that grows: frames differ
    return np.clip(base.astype(int) + rng.integers(0, 10, base.shape), 0, 255).astype(np.uint8)


def test_write_video_round_trip_odd_size(tmp_path):
    frames = _frames()
    path = tmp_path / "v.mp4"
    write_mp4(path, frames, fps=10)
    clip = read_video(path)
    back, fps = clip.frames, clip.fps
    assert back.shape == (5, 32, 42, 3)  # padded to even
    assert fps == pytest.approx(10)
    err = np.abs(back[:, :31, :41].astype(int) - frames.astype(int)).mean()
    assert err < 8, err
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]  # no temporary left behind


def test_write_video_rejects_bad_input_without_leaving_a_file(tmp_path):
    with pytest.raises(ValueError):
        write_mp4(tmp_path / "x.mp4", np.zeros((2, 8, 8, 3), np.float32), 10)
    assert not list(tmp_path.iterdir())


def test_fit_overlay_tints_the_fitted_body_and_outlines_the_mask():
    src = np.full((2, 12, 12, 3), 100, np.uint8)
    body = np.zeros((2, 12, 12), np.float32)
    body[:, 2:6, 2:6] = 1.0  # where the fit put the body
    body[:, 6, 2:6] = 0.5  # its soft edge
    obj = np.zeros_like(body)
    obj[:, 9:11, 9:11] = 1.0
    human_mask = np.zeros((2, 12, 12), bool)
    human_mask[:, 2:9, 2:9] = True  # where the segmenter saw the person: larger than the fit
    out = fit_overlay(src, ReconstructionFrames(src, body, obj), Masks(human_mask)).astype(int)
    assert (out[:, 0, 11] == 100).all()  # neither fit nor mask: the source untouched
    assert out[0, 4, 4, 0] > 180 and out[0, 4, 4, 2] < 80  # red where the body was fitted
    assert 100 < out[0, 6, 4, 0] < out[0, 4, 4, 0]  # half coverage, half the tint
    assert out[0, 10, 10, 2] > 180 and out[0, 10, 10, 0] < 80  # blue object
    assert tuple(out[0, 8, 5]) == (255, 230, 0)  # the mask's outline, where the fit did not reach
    assert (out[0, 7, 7] == 100).all()  # inside the mask, outside the fit: the miss shows as untinted source
    no_parts = fit_overlay(src, ReconstructionFrames(np.zeros_like(src)))
    assert (no_parts == 50).all()  # without coverage channels: half the re-render over the source


def test_caption_band_sits_outside_the_frame():
    frames = np.zeros((2, 96, 128, 3), np.uint8)
    out = caption_band(frames, "reconstruction")
    band = out.shape[1] - 96
    assert 10 <= band <= 24 and band % 2 == 0
    assert out[:, :band].max() > 200  # white text in the band
    np.testing.assert_array_equal(out[:, band:], frames)  # the picture itself is untouched


def test_side_by_side_layout(tmp_path):
    src, rec = _frames(4, 24, 32), _frames(4, 12, 16, seed=1)
    human = np.zeros((4, 24, 32), bool)
    human[:, 10:20, 10:20] = True
    sbs = side_by_side(src, rec, Masks(human))
    band = sbs.shape[1] - 24
    assert sbs.shape == (4, 24 + band, 96, 3) and band > 0
    np.testing.assert_array_equal(sbs[:, band:, :32], src)  # the source panel is the source, whole
    assert side_by_side(src, rec, None, labels=None).shape == (4, 24, 96, 3)
    write_side_by_side(tmp_path / "o.mp4", src, rec, Masks(human), fps=5)
    assert read_video(tmp_path / "o.mp4").frames.shape == (4, 24 + band, 96, 3)


def test_orbit_cameras_circle_and_look_at_center():
    cams = orbit_cameras((1.0, 2.0, 0.5), 3.0, 8, width=32, height=24, elevation_deg=30)
    centers = torch.stack([c.center for c in cams])
    d = (centers - torch.tensor([1.0, 2.0, 0.5])).norm(dim=1)
    torch.testing.assert_close(d, torch.full((8,), 3.0))
    for c in cams:
        uv, z = c.project(torch.tensor([1.0, 2.0, 0.5]))
        torch.testing.assert_close(uv, torch.tensor([16.0, 12.0]), atol=1e-3, rtol=0)
        assert z > 0


class _BlobAvatar:
    """Stand-in avatar: a coloured Gaussian blob at the body's translation (enough to see it move)."""

    def __init__(self, n=200):
        g = torch.Generator().manual_seed(0)
        self.offsets = torch.randn(n, 3, generator=g) * torch.tensor([0.15, 0.15, 0.4])

    def gaussians(self, params, camera):
        from zerohsi.gaussians import Gaussians

        n = len(self.offsets)
        return Gaussians(means=self.offsets + params.transl[0], quats=torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1),
                         scales=torch.full((n, 3), 0.05), opacities=torch.full((n,), 0.9),
                         colors=torch.tensor([[0.9, 0.2, 0.2]]).repeat(n, 1))


def _orbit_setup(tiny_motion):
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup
    from zerohsi.gaussians import Gaussians
    from zerohsi.scenes.scene import Scene

    g = torch.Generator().manual_seed(1)
    n = 300
    floor = Gaussians(means=torch.rand(n, 3, generator=g) * torch.tensor([4.0, 4.0, 0.0]) - torch.tensor([2, 2, 0]),
                      quats=torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1), scales=torch.full((n, 3), 0.08),
                      opacities=torch.full((n,), 0.8), colors=torch.rand(n, 3, generator=g))
    scene = Scene("test", floor, lambda p: torch.full(p.shape[:-1], 1.0))
    motion = tiny_motion.slice(0, 4)
    motion.body = motion.body.replace(transl=torch.tensor([[0.0, 0.0, 0.9]]).repeat(4, 1))  # a copy: fixture intact
    setup = Setup(scene=scene, avatar=_BlobAvatar(), body0=motion.body[0],
                  camera0=Camera.look_at((3, 0, 1.5), (0, 0, 0.9), width=32, height=24), prompt="", seed=0)
    return setup, motion


def test_render_orbit_writes_video_of_moving_views(tmp_path, tiny_motion):
    pytest.importorskip("zerohsi.render.api")
    setup, motion = _orbit_setup(tiny_motion)
    frames = render_orbit(setup, motion, tmp_path / "orbit.mp4", num_frames=4, radius=3.0, backend="torch")
    assert frames.shape == (4, 24, 32, 3)
    centre = frames[:, 8:16, 12:20].astype(float)
    assert (centre[..., 0] > centre[..., 1] + 40).mean() > 0.3  # the red avatar is in the middle of every view
    assert np.abs(frames[0].astype(int) - frames[2].astype(int)).mean() > 3  # the viewpoint moved
    back = read_video(tmp_path / "orbit.mp4").frames
    assert back.shape == (4, 24, 32, 3)


def test_reconstruction_layers_cover_the_rendered_body(tiny_motion):
    setup, motion = _orbit_setup(tiny_motion)
    layers = render_reconstruction_layers(setup, motion.slice(0, 2), backend="torch")
    assert layers.rgb.shape == (2, 24, 32, 3) and layers.human.shape == (2, 24, 32)
    assert layers.object.max() == 0  # no object in this scene
    assert layers.human[:, 8:16, 12:20].mean() > 0.5  # the blob avatar in the middle of the first camera
    assert layers.human[:, :, :3].max() < 0.05  # the floor at the image edge is not body
    red = fit_overlay(layers.rgb, layers)[..., 0].astype(int) - layers.rgb[..., 0]
    assert (red[layers.human > 0.5] >= 0).all()  # tinted toward red where the body is


def test_side_by_side_captions_on_full_size_frames():
    src = np.zeros((2, 96, 128, 3), np.uint8)
    sbs = side_by_side(src, src, None)
    band = sbs.shape[1] - 96
    assert sbs.shape == (2, 96 + band, 384, 3)
    assert sbs[:, :band, :64].max() > 200  # white caption text above the first panel
    assert sbs[:, band:, :].max() == 0  # the black frames themselves carry no text
