import numpy as np
import pytest

from zerohsi.errors import UserError
from zerohsi.plugins import get_host
from zerohsi.video.base import VideoGenerator, VideoRequest
from zerohsi.video.cache import cached_generate


def _request(tmp_path, seed=0, num_frames=6):
    rng = np.random.default_rng(1)
    first = rng.random((24, 32, 3), dtype=np.float32)
    return VideoRequest(first_frame=first, prompt="the camera drifts", seed=seed, num_frames=num_frames, fps=10.0,
                        workdir=tmp_path / "w")


def test_discovered_and_speaks_the_protocol():
    host = get_host(reload=True)
    entry = host.get("video_generator", "camera_move")
    assert entry.distribution == "zerohsi-example-video" and host.plugins["example_video"].status == "ok"
    gen = entry.build({"zoom": 1.2})
    assert isinstance(gen, VideoGenerator) and gen.name == "camera_move"
    assert entry.missing({"zoom": 0.0}) and not entry.missing()


def test_clip_starts_at_the_first_frame_and_moves(tmp_path):
    gen = get_host().build("video_generator", "camera_move", {"zoom": 1.3, "pan": 0.1})
    req = _request(tmp_path)
    video = gen.generate(req)
    assert video.frames.shape == (6, 24, 32, 3) and video.fps == 10.0
    assert np.array_equal(video.frames[0], np.round(req.first_frame * 255).astype(np.uint8))
    assert np.abs(video.frames[-1].astype(int) - video.frames[0].astype(int)).mean() > 5
    other = gen.generate(_request(tmp_path, seed=1))
    assert not np.array_equal(other.frames[-1], video.frames[-1])  # the seed picks the pan direction


def test_cached_like_any_generator(tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROHSI_CACHE_DIR", str(tmp_path / "cache"))
    gen = get_host().build("video_generator", "camera_move")
    first, _ = cached_generate(gen, _request(tmp_path))
    again, _ = cached_generate(gen, _request(tmp_path))
    assert np.array_equal(first.frames, again.frames) and again.provenance["generator"] == "camera_move"


def test_bad_option_is_a_user_error():
    with pytest.raises(UserError, match="video.generator.options"):
        get_host().build("video_generator", "camera_move", {"zom": 1.0})
