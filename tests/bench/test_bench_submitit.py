"""The submitit executor in its in-process "debug" mode (its local-process mode costs a zerohsi import per job)."""

from __future__ import annotations

import pytest

from zerohsi.bench import harness
from zerohsi.bench.harness import run_bench

pytest.importorskip("submitit")


def job_run(cfg, run_dir, resume):
    (run_dir / "ran.txt").write_text(cfg.instance.name)
    return type("R", (), {"metrics": {"clip_score": 5.0 + cfg.seed}, "timings": {}, "motion": None})()


def test_submitit_local_jobs(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "suite_instances", lambda suite, only=None: [("room_sit", False)])
    report = run_bench(out_dir=tmp_path, seeds=2, preset="fast", executor="submitit",
                       executor_options={"cluster": "debug", "poll_s": 0.05}, run_fn=job_run, figures=False)
    assert [r["status"] for r in report.records] == ["ok", "ok"], [r["error"] for r in report.records]
    assert report.records[1]["metrics"]["clip_score"] == 6.0
    assert (tmp_path / "zerohsi" / "room_sit" / "seed0" / "ran.txt").read_text() == "room_sit"
    assert any((tmp_path / "submitit").iterdir())
