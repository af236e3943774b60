import numpy as np
import pytest

from zerohsi.errors import UserError
from zerohsi.video.io import frames_hash, load_frames, read_video, save_frames, write_mp4
from zerohsi.video.resample import resample, resample_indices
from zerohsi.video.video import Video


def test_mp4_roundtrip_close_and_atomic(tmp_path, moving_square):
    frames = moving_square()
    path = write_mp4(tmp_path / "a.mp4", frames, fps=10)
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp4"]  # no temporaries left
    v = read_video(path)
    assert v.frames.shape == frames.shape and v.fps == pytest.approx(10)
    assert np.abs(v.frames.astype(int) - frames).mean() < 4  # lossy but close
    assert v.provenance["source_hash"] == frames_hash(v.frames)


def test_odd_size_is_padded_and_fractional_rate(tmp_path, moving_square):
    frames = moving_square(T=4, H=31, W=47)
    v = read_video(write_mp4(tmp_path / "odd.mp4", frames, fps=29.97))
    assert v.frames.shape == (4, 32, 48, 3)
    assert v.fps == pytest.approx(29.97, abs=0.01)


def test_lossless_store_and_frame_folder(tmp_path, moving_square):
    import imageio.v3 as iio

    frames = moving_square(T=11)
    save_frames(tmp_path / "f.npz", Video(frames, 7.5))
    v = load_frames(tmp_path / "f.npz")
    assert np.array_equal(v.frames, frames) and v.fps == 7.5
    folder = tmp_path / "frames"
    folder.mkdir()
    for t in range(11):  # natural order: 2 before 10
        iio.imwrite(folder / f"frame_{t}.png", frames[t])
    v = read_video(folder, fps=12)
    assert np.array_equal(v.frames, frames) and v.fps == 12


def test_read_errors_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        read_video(tmp_path / "missing.mp4")
    (tmp_path / "bad.mp4").write_bytes(b"not a video at all")
    with pytest.raises(UserError, match="decode"):
        read_video(tmp_path / "bad.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no image frames"):
        read_video(tmp_path / "empty")


def test_paper_resampling_153_to_51():
    idx = resample_indices(153, 30.0, 10.0, 51)
    assert np.array_equal(idx, np.arange(0, 153, 3))
    v = Video(np.repeat(np.arange(153, dtype=np.uint8)[:, None, None, None], 3, axis=3) * np.ones(
        (1, 2, 2, 3), np.uint8), 30.0, {"generator": "x"})
    out = resample(v, 10.0, 51)
    assert len(out) == 51 and out.fps == 10.0
    assert list(out.frames[:4, 0, 0, 0]) == [0, 3, 6, 9]
    assert out.provenance["native_fps"] == 30.0 and out.provenance["generator"] == "x"


def test_resampling_short_source_and_upsampling():
    assert len(resample_indices(20, 30.0, 10.0, 51)) == 7  # 0,3,..,18: never invents frames
    assert list(resample_indices(5, 10.0, 20.0, 6)) == [0, 1, 1, 2, 2, 3]
    # KLING-like 24 fps -> 10 fps picks the nearest frames in time
    assert list(resample_indices(120, 24.0, 10.0, 5)) == [0, 2, 5, 7, 10]
