from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from zerohsi.video.base import VideoRequest
from zerohsi.video.cache import cached_generate, clear, default_cache_dir, list_entries
from zerohsi.video.video import Video


def moving_square(T=12, H=32, W=48, seed=0):
    """A smooth clip whose frames all differ (a square sliding right)."""
    yy, xx = np.mgrid[0:H, 0:W]
    bg = np.stack([40 + xx, 60 + yy, 50 + 0 * xx + 7 * seed], -1).astype(np.uint8)
    frames = np.repeat(bg[None], T, axis=0)
    for t in range(T):
        frames[t, 8:20, 2 + t:12 + t] = (230, 120, 30)
    return frames


class CountingGenerator:
    """A generator that renders a deterministic clip from the request and counts its (paid) calls."""

    def __init__(self, model="m1"):
        self.model = model
        self.calls = 0

    def cache_key(self):
        return {"model": self.model}

    def generate(self, request):
        self.calls += 1
        frames = moving_square(T=30, seed=request.seed)
        (request.workdir / "side.txt").write_text(f"seed={request.seed}")
        return Video(frames, 30.0, {"model": self.model})


def _request(tmp_path, seed=0, prompt="a person walks", first=None, workdir="w"):
    first = moving_square(T=1)[0].astype(np.float32) / 255 if first is None else first
    return VideoRequest(first_frame=first, prompt=prompt, seed=seed, num_frames=10, fps=10.0,
                        workdir=tmp_path / workdir)


def test_second_run_hits_cache_and_restores_side_files(tmp_path, cache_dir):
    gen = CountingGenerator()
    v1, entry1 = cached_generate(gen, _request(tmp_path), name="counting")
    assert gen.calls == 1 and len(v1) == 10 and v1.fps == 10.0
    assert np.array_equal(v1.frames, moving_square(T=30)[::3])  # lossless, resampled 30 -> 10 fps
    assert v1.provenance["generator"] == "counting" and v1.provenance["prompt"] == "a person walks"
    v2, entry2 = cached_generate(gen, _request(tmp_path, workdir="w2"), name="counting")
    assert gen.calls == 1 and entry2 == entry1 and np.array_equal(v1.frames, v2.frames)
    assert (tmp_path / "w2" / "side.txt").read_text() == "seed=0"
    assert entry1.parent.parent == cache_dir and (entry1 / "side.txt").read_text() == "seed=0"
    assert (tmp_path / "w" / "side.txt").exists()  # a fresh generation also leaves its side files in the workdir


@pytest.mark.parametrize("change", ["seed", "prompt", "first", "model"])
def test_any_key_change_regenerates(tmp_path, cache_dir, change):
    gen = CountingGenerator()
    cached_generate(gen, _request(tmp_path), name="counting")
    req = _request(tmp_path)
    if change == "seed":
        req.seed = 1
    elif change == "prompt":
        req.prompt = "a person sits"
    elif change == "first":
        req.first_frame = req.first_frame.copy()
        req.first_frame[0, 0, 0] = 1.0 - req.first_frame[0, 0, 0]
    else:
        gen.model = "m2"
    cached_generate(gen, req, name="counting")
    assert gen.calls == 2 and len(list_entries()) == 2


def test_failed_generation_leaves_no_entry(tmp_path, cache_dir):
    class Failing(CountingGenerator):
        def generate(self, request):
            raise RuntimeError("network down")

    with pytest.raises(RuntimeError):
        cached_generate(Failing(), _request(tmp_path))
    assert list_entries() == []
    gen = CountingGenerator()
    cached_generate(gen, _request(tmp_path))
    assert gen.calls == 1


def test_refresh_and_clear(tmp_path, cache_dir):
    gen = CountingGenerator()
    cached_generate(gen, _request(tmp_path), name="a")
    cached_generate(gen, _request(tmp_path), name="a", refresh=True)
    assert gen.calls == 2 and len(list_entries()) == 1
    cached_generate(gen, _request(tmp_path, seed=3), name="b")
    assert [e.meta["provenance"]["generator"] for e in clear(generator="b")] == ["b"]
    assert len(list_entries()) == 1
    clear()
    assert list_entries() == []


def test_default_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ZEROHSI_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("ZEROHSI_CACHE_DIR")
    assert default_cache_dir().parts[-2:] == (".cache", "zerohsi")


def test_cli_list_and_clear(tmp_path, cache_dir):
    from zerohsi.cli.main import app

    gen = CountingGenerator()
    cached_generate(gen, _request(tmp_path), name="counting")
    runner = CliRunner()
    out = runner.invoke(app, ["cache", "list"])
    assert out.exit_code == 0 and "counting" in out.output
    out = runner.invoke(app, ["cache", "clear", "--yes"])
    assert out.exit_code == 0 and "removed 1" in out.output
    assert list_entries() == []
    out = runner.invoke(app, ["cache", "list"])
    assert "no cached videos" in out.output


def test_length_independent_generator_is_not_bought_again_for_another_rate(tmp_path, cache_dir):
    gen = CountingGenerator()
    gen.length_independent = True
    v10, e1 = cached_generate(gen, _request(tmp_path), name="paid")
    req = _request(tmp_path)
    req.num_frames, req.fps = 15, 15.0
    v15, e2 = cached_generate(gen, req, name="paid")
    assert gen.calls == 1 and e1 == e2
    assert len(v10) == 10 and len(v15) == 15 and v15.fps == 15.0
    plain = CountingGenerator()  # length-dependent generators (the scripted signal) are keyed with fps and frames
    cached_generate(plain, _request(tmp_path), name="plain")
    cached_generate(plain, req, name="plain")
    assert plain.calls == 2


def test_clear_keeps_paid_tasks_in_flight_unless_confirmed(tmp_path, cache_dir):
    from zerohsi.cli.main import main
    from zerohsi.video.cache import list_in_flight

    pending = Path(cache_dir) / "videos" / ".pending-deadbeef01"
    pending.mkdir(parents=True)
    (pending / "kling_task.json").write_text('{"task_id": "t1", "external_task_id": "zerohsi-1"}')
    assert main(["cache", "clear", "--yes", "--cache-dir", str(cache_dir)]) == 0
    assert list_in_flight(cache_dir) == [pending]  # plain clear never forgets a paid task
    assert main(["cache", "clear", "--yes", "--in-flight", "--yes-in-flight", "--key", "other",
                 "--cache-dir", str(cache_dir)]) == 0
    assert pending.exists()
    assert main(["cache", "clear", "--yes", "--in-flight", "--yes-in-flight", "--key", "deadbeef",
                 "--cache-dir", str(cache_dir)]) == 0
    assert not pending.exists()
