"""`zerohsi run` end to end on a tiny offline config, and resume after an interruption giving the same result."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import zerohsi
from zerohsi.motion import Motion
from zerohsi.recon.callbacks import FrameHook
from zerohsi.recon.runner import ClipRunner

TINY = [
    "render.width=48", "render.height=36", "video.num_frames=3", "tracking.iters=2", "fit.iters=3",
    "fit.root_only_iters=1", "instance.scene_density=0.05", "avatar.num_gaussians=300",
    "metrics=[mpjpe,root_error,camera_error]", "export.formats=[npz]", "export.report=false",
    "refiners=[{name: physics, options: {iters: 10}}]",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, cache_dir):
    run_dir = tmp_path_factory.mktemp("runs") / "ref"
    return zerohsi.run("demo", TINY + [f"cache_dir={cache_dir}"], run_dir=run_dir, progress=False)


def test_run_writes_every_artifact(reference_run):
    d = reference_run.run_dir
    for name in ("config.yaml", "video.mp4", "overlay.mp4", "motion.npz", "metrics.json", "timings.json",
                 "losses.json", "masks.npz", "ground_truth_motion.npz", "log.txt", "exports/motion.npz",
                 "motion_unrefined.npz", "refine.json", "recon_frames.npz", "reconstruction.mp4"):
        assert (d / name).exists(), name
    motion = Motion.load(d / "motion.npz")
    assert len(motion) == 3 and motion.K is not None
    saved = json.loads((d / "metrics.json").read_text())  # {values, skipped, provenance, run}
    metrics = saved["values"]
    assert {"mpjpe_mm", "root_err_cm", "cam_transl_err_cm", "unrefined/mpjpe_mm"} <= set(metrics)
    assert all(np.isfinite(v) for v in metrics.values())
    assert saved["run"]["test_signal"] is True and saved["run"]["body_model"] == "anny"
    losses = json.loads((d / "losses.json").read_text())
    assert len(losses["fit"]) == 3 and len(losses["fit"][1]) == 3
    timings = json.loads((d / "timings.json").read_text())
    assert {"generate_video", "segment", "track_camera", "fit_hsi"} <= set(timings["seconds"])


class Interrupt(Exception):
    pass


def test_resume_after_crash_gives_the_same_motion(reference_run, cache_dir, tmp_path, monkeypatch):
    def crash_in_fit(problem, state):
        if problem.name == "fit" and state.frame == 1:
            raise Interrupt

    run_dir = tmp_path / "crashed"
    monkeypatch.setattr(ClipRunner, "extra_callbacks", [FrameHook(crash_in_fit)])
    with pytest.raises(Interrupt):
        zerohsi.run("demo", TINY + [f"cache_dir={cache_dir}"], run_dir=run_dir, progress=False)
    assert not (run_dir / "motion.npz").exists()
    monkeypatch.setattr(ClipRunner, "extra_callbacks", [])
    resumed = zerohsi.run(run_dir=run_dir, resume=True, progress=False)
    ref = reference_run.motion
    assert torch.equal(resumed.motion.body.transl, ref.body.transl)
    assert torch.equal(resumed.motion.body.body_pose, ref.body.body_pose)
    assert torch.equal(resumed.motion.world_to_cam, ref.world_to_cam)


def test_run_cli_user_errors(tmp_path):
    out = subprocess.run([sys.executable, "-m", "zerohsi.cli.main", "run", "demo", "instance.name=nope"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = subprocess.run([sys.executable, "-m", "zerohsi.cli.main", "run", "--resume", str(tmp_path / "none")],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "config.yaml" in out.stderr


_TWO_THREADS = """
import sys, torch, zerohsi
torch.set_num_threads(2)
run = zerohsi.run("demo", sys.argv[2:], run_dir=sys.argv[1], progress=False)
"""


def test_separate_processes_give_the_same_motion(tmp_path, cache_dir):
    """Two processes at once with two threads each: bit-identical motions (advanced indexing's CPU backward once
    made them differ in the last bits, and the per-frame optimisation carried that on to millimetres)."""
    ov = ["render.width=96", "render.height=72", "video.num_frames=5", "tracking.iters=3", "fit.iters=8",
          "fit.root_only_iters=2", "metrics=[mpjpe]", "export.formats=[npz]", "export.report=false",
          "export.overlay_video=false", f"cache_dir={cache_dir}"]
    env = {**os.environ, "PYTHONHASHSEED": "0", "OMP_WAIT_POLICY": "PASSIVE"}
    procs = [subprocess.Popen([sys.executable, "-c", _TWO_THREADS, str(tmp_path / f"r{k}"), *ov], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(2)]
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, err[-2000:]
    motions = [Motion.load(tmp_path / f"r{k}" / "motion.npz") for k in range(2)]
    assert torch.equal(motions[0].body.body_pose, motions[1].body.body_pose)
    assert torch.equal(motions[0].body.transl, motions[1].body.transl)
