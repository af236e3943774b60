import logging

import numpy as np
import pytest

from zerohsi.errors import UserError
from zerohsi.plugins import get_host
from zerohsi.video.base import VideoRequest
from zerohsi.video.cache import cached_generate
from zerohsi.video.io import write_mp4


def _req(tmp_path, first):
    return VideoRequest(first_frame=first, prompt="p", seed=0, num_frames=6, fps=10.0, workdir=tmp_path / "w")


def test_import_mp4_matching_first_frame(tmp_path, cache_dir, caplog, moving_square):
    frames = moving_square(T=18)
    write_mp4(tmp_path / "clip.mp4", frames, fps=30)
    gen = get_host().build("video_generator", "file", {"path": str(tmp_path / "clip.mp4")})
    with caplog.at_level(logging.WARNING):
        video, _ = cached_generate(gen, _req(tmp_path, frames[0].astype(np.float32) / 255), name="file")
    assert len(video) == 6 and video.fps == 10.0
    assert video.provenance["first_frame_difference"] < 0.03
    assert "differs" not in caplog.text


def test_import_folder_resized_and_mismatch_warned(tmp_path, caplog, moving_square):
    import imageio.v3 as iio

    frames = moving_square(T=5, H=64, W=96)
    (tmp_path / "f").mkdir()
    for t, f in enumerate(frames):
        iio.imwrite(tmp_path / "f" / f"{t:03d}.png", f)
    gen = get_host().build("video_generator", "file", {"path": str(tmp_path / "f"), "fps": 10})
    other = np.zeros((32, 48, 3), np.float32)  # I0 of a different scene
    with caplog.at_level(logging.WARNING):
        video = gen.generate(_req(tmp_path, other))
    assert video.frames.shape == (5, 32, 48, 3) and video.fps == 10
    assert "differs from the rendered first frame" in caplog.text


def test_missing_path_is_user_error(tmp_path):
    with pytest.raises(UserError, match="path"):
        get_host().build("video_generator", "file", {})
    gen = get_host().build("video_generator", "file", {"path": str(tmp_path / "nope.mp4")})
    with pytest.raises(UserError, match="does not exist"):
        gen.cache_key()
