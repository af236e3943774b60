"""W&B logging of runs and sweeps in offline mode (nothing is sent), checked by reading back the offline run files."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from zerohsi.body.params import BodyParams
from zerohsi.config import load_config, save_config
from zerohsi.errors import UserError
from zerohsi.io import atomic_write_json
from zerohsi.motion import Motion
from zerohsi.wandb_log import RunLogging, flatten, loss_tables, wandb_settings

pytest.importorskip("wandb")
from wandb_records import offline_run  # noqa: E402  (needs wandb)


@pytest.fixture(autouse=True)
def _quiet_offline(monkeypatch):
    for var in ("WANDB_MODE", "WANDB_PROJECT", "WANDB_RUN_GROUP"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")


def _motion(T: int, shift: float = 0.0) -> Motion:
    g = torch.Generator().manual_seed(0)
    body = BodyParams(torch.randn(T, 3, generator=g) + shift, torch.randn(T, 3, generator=g) * 0.1 + shift,
                      torch.zeros(T, 12), torch.zeros(T, 1))
    return Motion(body, "tiny", 10.0)


def write_run(run_dir: Path, cfg) -> Path:
    """The files the pipeline leaves in a run folder (small): config, losses, metrics, timings, videos, motions."""
    from zerohsi.video.io import write_mp4

    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / "config.yaml")
    _motion(4).save(run_dir / "motion.npz")
    _motion(4, shift=0.1).save(run_dir / "ground_truth_motion.npz")
    frames = np.zeros((4, 16, 32, 3), np.uint8)
    write_mp4(run_dir / "video.mp4", frames, 10.0)
    write_mp4(run_dir / "overlay.mp4", frames + 40, 10.0)
    atomic_write_json(run_dir / "losses.json", {"tracking": [[0.3, 0.2], [0.25]], "fit": [[1.0, 0.5], [0.4]]})
    atomic_write_json(run_dir / "metrics.json", {"mpjpe_mm": 12.5, "unrefined/mpjpe_mm": 14.0})
    atomic_write_json(run_dir / "timings.json", {"seconds": {"fit_hsi": 2.0, "segment": 0.5}, "frames": 4})
    return run_dir


def test_run_logs_config_losses_metrics_videos_and_frame_errors(tmp_path):
    cfg = load_config("fast", ["wandb.enabled=true", "fit.iters=7", "wandb.group=study"])
    run_dir = write_run(tmp_path / "run1", cfg)
    session = RunLogging(cfg, run_dir)  # what `zerohsi run` opens before its stages
    (live,) = session.callbacks()
    problem = SimpleNamespace(name="fit", num_iters=lambda t: 2)
    live.on_sequence_start(None, problem, None, 0)
    for t, it, loss in ((0, 0, 1.0), (0, 1, 0.5), (1, 0, 0.4), (1, 1, 0.3)):
        live.on_step_end(None, problem, SimpleNamespace(frame=t, iteration=it), loss, {"l1": loss / 2})
    session.finish(ok=True)
    (folder,) = (run_dir / "wandb").glob("offline-run-*")  # offline by default: a local folder, nothing sent
    info = offline_run(folder)
    assert {"fit/step", "fit/loss", "fit/frame", "fit/iteration", "fit/l1"} <= info["history"]  # live curves
    assert (info["name"], info["group"], info["project"]) == ("run1", "study", "zerohsi")
    # every hyper-parameter, flattened so W&B can filter on it, and where the result came from
    assert info["config"]["fit.iters"] == 7
    assert info["config"]["video.generator.name"] == cfg.video.generator.name
    assert info["config"]["tracking.lr"] == cfg.tracking.lr
    assert "provenance.git_revision" in info["config"]
    # final metrics, the unrefined ones beside them, and per-stage timings
    assert info["summary"]["metric/mpjpe_mm"] == 12.5
    assert info["summary"]["metric/unrefined/mpjpe_mm"] == 14.0
    assert info["summary"]["time/fit_hsi"] == 2.0
    # per-iteration losses per stage with their frame, the videos and the per-frame error table
    media = info["media"]
    fit_table = next(p for p in media if p.startswith("table/losses/fit"))
    table = json.loads((folder / "files" / "media" / fit_table).read_text())
    assert table["columns"] == ["step", "frame", "iteration", "loss"]
    assert table["data"] == [[0, 0, 0, 1.0], [1, 0, 1, 0.5], [2, 1, 0, 0.4]]
    assert any(p.startswith("videos/video/overlay") for p in media)
    assert any(p.startswith("videos/video/source") for p in media)
    errors = json.loads(next((folder / "files" / "media" / "table").glob("frame_errors*.json")).read_text())
    assert errors["columns"][:2] == ["frame", "orient_err_deg"]  # the tiny body is not registered: pose-free errors
    assert len(errors["data"]) == 4 and all(row[1] > 0 for row in errors["data"])


def test_disabled_runs_log_nothing(tmp_path):
    cfg = load_config("fast", [])
    run_dir = write_run(tmp_path / "run", cfg)
    session = RunLogging(cfg, run_dir)  # wandb.enabled is false by default
    assert session.callbacks() == []
    session.finish(ok=True)
    assert not (run_dir / "wandb").exists()


def test_settings_fall_back_to_the_environment(monkeypatch):
    cfg = load_config("fast", []).wandb
    assert wandb_settings(cfg).mode == "offline"  # nothing is sent unless asked
    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("WANDB_PROJECT", "lab")
    assert (wandb_settings(cfg).mode, wandb_settings(cfg).project) == ("online", "lab")
    cfg.mode, cfg.project = "offline", "mine"  # an explicit config value wins over the environment
    assert (wandb_settings(cfg).mode, wandb_settings(cfg).project) == ("offline", "mine")
    assert wandb_settings(cfg, group="sweep").group == "sweep"
    cfg.mode = "loud"
    with pytest.raises(UserError, match="offline, online, disabled"):
        wandb_settings(cfg)


def test_sweep_runs_share_a_group_and_carry_their_hyper_parameters(tmp_path, monkeypatch):
    from zerohsi.bench import harness
    from zerohsi.bench.harness import run_bench

    monkeypatch.setattr(harness, "suite_instances", lambda suite, only=None: [("room_sit", False)])

    class Result:
        def __init__(self, cfg) -> None:
            self.metrics, self.timings, self.motion = {"clip_score": 20.0 + cfg.seed}, {"fit_hsi": 1.5}, None

    def run_fn(cfg, run_dir, resume):
        write_run(run_dir, cfg)
        return Result(cfg)

    out = tmp_path / "mysweep"
    run_bench(out_dir=out, seeds=2, preset="fast", run_fn=run_fn, wandb=True, metrics=[], figures=False,
              overrides=["fit.iters=5"])
    runs = [offline_run(p) for p in sorted((out / "wandb").glob("offline-run-*"))]
    assert len(runs) == 3  # two runs and the summary table
    assert {r["group"] for r in runs} == {"mysweep"}
    by_name = {r["name"]: r for r in runs}
    seed1 = by_name["zerohsi/room_sit/seed1"]
    assert seed1["config"]["fit.iters"] == 5 and seed1["config"]["seed"] == 1
    assert seed1["config"]["variant"] == "zerohsi"
    assert seed1["summary"]["metric/clip_score"] == 21.0 and seed1["summary"]["status_ok"] == 1.0
    assert any(p.startswith("table/results") for p in by_name["summary"]["media"])


def test_loss_tables_and_flatten():
    assert loss_tables({"clip0": {"fit": [[3, 2], [1]]}, "note": "x"}) == {
        "clip0/fit": [[0, 0, 0, 3.0], [1, 0, 1, 2.0], [2, 1, 0, 1.0]]}
    assert flatten({"fit": {"iters": 3, "free_joints": ["core"]}, "refiners": [{"name": "physics", "options": {}}]}) \
        == {"fit.iters": 3, "fit.free_joints": ["core"], "refiners.0.name": "physics", "refiners.0.options": {}}


def test_zerohsi_run_with_wandb_enabled_logs_one_complete_run(tmp_path):
    import zerohsi

    tiny = ["render.width=40", "render.height=30", "video.num_frames=2", "tracking.iters=2", "fit.iters=2",
            "fit.root_only_iters=1", "instance.scene_density=0.03", "avatar.num_gaussians=200",
            "metrics=[root_error]", "export.formats=[npz]", "export.report=false", f"cache_dir={tmp_path / 'cache'}",
            "wandb.enabled=true"]
    result = zerohsi.run("demo", tiny, run_dir=tmp_path / "run", progress=False)
    (folder,) = (result.run_dir / "wandb").glob("offline-run-*")  # one W&B run, not one per stage
    info = offline_run(folder)
    assert info["config"]["fit.iters"] == 2 and info["config"]["render.width"] == 40
    assert {"fit/loss", "fit/step", "tracking/loss"} <= info["history"]  # live, while the stages optimised
    assert info["summary"]["metric/root_err_cm"] == pytest.approx(result.metrics["root_err_cm"])
    assert "time/fit_hsi" in info["summary"]
    assert any(p.startswith("videos/video/overlay") for p in info["media"])
    assert any(p.startswith("table/frame_errors") for p in info["media"])  # the scripted source has ground truth
