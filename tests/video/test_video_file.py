import dataclasses
import logging

import numpy as np
import pytest

from zerohsi.errors import UserError
from zerohsi.plugins import get_host
from zerohsi.video.base import VideoRequest
from zerohsi.video.cache import cached_generate
from zerohsi.video.io import resize_frames, write_mp4


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


def test_import_folder_resized_and_mismatch_refused(tmp_path, moving_square):
    import imageio.v3 as iio

    frames = moving_square(T=5, H=64, W=96)
    (tmp_path / "f").mkdir()
    for t, f in enumerate(frames):
        iio.imwrite(tmp_path / "f" / f"{t:03d}.png", f)
    gen = get_host().build("video_generator", "file", {"path": str(tmp_path / "f"), "fps": 10})
    req = _req(tmp_path, frames[0].astype(np.float32) / 255)
    video = gen.generate(dataclasses.replace(req, first_frame=resize_frames(frames[:1], 32, 48)[0] / 255.0,
                                             num_frames=5))
    assert video.frames.shape == (5, 32, 48, 3) and video.fps == 10
    assert video.provenance["native_width"] == 96
    other = np.zeros((32, 48, 3), np.float32)  # I0 of a different scene: the clip does not start from it
    with pytest.raises(UserError, match="differs from the exported first frame"):
        gen.generate(dataclasses.replace(req, first_frame=other, num_frames=5))


def test_clip_of_another_aspect_is_refused(tmp_path, moving_square):
    frames = moving_square(T=8, H=48, W=48)  # 1:1, but the first frame is 3:2
    write_mp4(tmp_path / "sq.mp4", frames, fps=10)
    gen = get_host().build("video_generator", "file", {"path": str(tmp_path / "sq.mp4")})
    with pytest.raises(UserError, match="aspect"):
        gen.generate(_req(tmp_path, np.zeros((32, 48, 3), np.float32)))


def test_too_short_clip_is_an_error_naming_what_fits(tmp_path, moving_square):
    frames = moving_square(T=9)
    write_mp4(tmp_path / "short.mp4", frames, fps=30)  # 0.3 s; the run wants 6 frames at 10 fps (16 source frames)
    gen = get_host().build("video_generator", "file", {"path": str(tmp_path / "short.mp4")})
    with pytest.raises(UserError) as exc:
        gen.generate(_req(tmp_path, frames[0].astype(np.float32) / 255))
    msg = str(exc.value)
    assert "needs 6 frames at 10 fps (16 source frames)" in msg and "video.num_frames=3" in msg
    assert msg.count(". ") == 0 and "\n" not in msg


def test_clip_resampled_to_the_run_rate(tmp_path, moving_square):
    frames = moving_square(T=24)
    write_mp4(tmp_path / "c.mp4", frames, fps=24)
    gen = get_host().build("video_generator", "file", {"path": str(tmp_path / "c.mp4")})
    video = gen.generate(dataclasses.replace(_req(tmp_path, frames[0].astype(np.float32) / 255), num_frames=8))
    assert len(video) == 8 and video.fps == 10.0
    assert video.provenance["resampled_indices"] == [0, 2, 5, 7, 10, 12, 14, 17]  # nearest of k * 2.4


def test_missing_path_is_user_error(tmp_path):
    # the generator's own sentence, not the config library's "missing mandatory value"
    with pytest.raises(UserError, match="needs a clip: set video.generator.options.path"):
        get_host().build("video_generator", "file", {})
    # a missing clip is found when the generator is built (and by the preflight), before any stage runs
    with pytest.raises(UserError, match="does not exist"):
        get_host().build("video_generator", "file", {"path": str(tmp_path / "nope.mp4")})
    assert get_host().get("video_generator", "file").missing({"path": str(tmp_path / "nope.mp4")})


def test_run_with_file_generator_and_no_path_says_so_in_one_line(tmp_path, capsys, cache_dir):
    from zerohsi.cli.main import main

    rc = main(["run", "demo", "video.generator.name=file", "avatar.num_gaussians=300", "render.width=32",
               "render.height=24", "instance.scene_density=0.05", "--run-dir", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "needs a clip: set video.generator.options.path" in err and "mandatory" not in err


def test_run_warnings_reach_the_terminal(tmp_path, capsys, monkeypatch):
    """Warnings logged during a run are printed on stderr as well as written to log.txt."""
    from zerohsi import pipeline
    from zerohsi.recon import runner

    def fake_run(self):
        logging.getLogger("zerohsi.video.file").warning("clip is smaller than the first frame")
        return "done"

    monkeypatch.setattr(runner.ClipRunner, "run", fake_run)
    assert pipeline.run("demo", run_dir=tmp_path / "r", progress=False) == "done"
    assert "warning: clip is smaller than the first frame" in capsys.readouterr().err
    assert "clip is smaller" in (tmp_path / "r" / "log.txt").read_text()
