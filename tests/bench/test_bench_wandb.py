"""W&B logging of a sweep in offline mode (nothing is sent)."""

from __future__ import annotations

import json

import pytest

from zerohsi.bench.wandb_log import SweepLogger, loss_curves, wandb_mode

pytest.importorskip("wandb")


def test_offline_sweep_logging(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")
    assert wandb_mode() == "offline"
    run_dir = tmp_path / "zerohsi" / "inst" / "seed0"
    run_dir.mkdir(parents=True)
    import numpy as np

    from zerohsi.video.io import write_mp4

    write_mp4(run_dir / "overlay.mp4", np.zeros((4, 16, 32, 3), np.uint8), 10.0)
    (run_dir / "losses.json").write_text(json.dumps({"fit": [[{"total": 1.0}, {"total": 0.5}], [{"total": 0.4}]]}))
    logger = SweepLogger(tmp_path, group="sweep")
    rec = {"method": "zerohsi", "variant": "zerohsi", "instance": "inst", "seed": 0, "status": "ok",
           "run_dir": str(run_dir), "metrics": {"clip_score": 23.0}, "timings": {"fit_hsi": 2.0}}
    logger.log_run(rec)
    logger.log_summary([{"instance": "inst", "clip_score": 23.0}])
    offline = sorted((tmp_path / "wandb").glob("offline-run-*"))
    assert len(offline) == 2  # one run + the summary, written locally only
    assert all(any(d.glob("*.wandb")) for d in offline)
    tables = [p.read_text() for p in (tmp_path / "wandb").rglob("*.table.json")]
    assert any("clip_score" in t for t in tables)  # the summary table
    assert any("0.4" in t for t in tables)  # the loss curve
    assert any((tmp_path / "wandb").rglob("media/videos/*.mp4"))  # the overlay video


def test_loss_curves_flatten_nested_histories():
    assert loss_curves({"tracking": [[3, 2], [1]], "fit": [{"l1": 1.0, "ssim": 0.5}, {"l1": 0.7, "ssim": 0.25}]}) == {
        "tracking": [3.0, 2.0, 1.0], "fit/l1": [1.0, 0.7], "fit/ssim": [0.5, 0.25]}
