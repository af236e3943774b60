"""The ray executor on a local Ray instance with 2 workers."""

from __future__ import annotations

import os
import sys

import pytest

from zerohsi.bench import harness
from zerohsi.bench.harness import run_bench

ray = pytest.importorskip("ray")


def remote_run(cfg, run_dir, resume):
    if cfg.seed == 2:
        raise ValueError("seed 2 fails")
    (run_dir / "worker_pid.txt").write_text(str(os.getpid()))
    import torch

    (run_dir / "worker_threads.txt").write_text(f"{os.environ.get('OMP_WAIT_POLICY')} {torch.get_num_threads()}")
    return type("R", (), {"metrics": {"clip_score": 10.0 + cfg.seed}, "timings": {}, "motion": None})()


@pytest.mark.slow
def test_ray_executor_fans_out(tmp_path, monkeypatch):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    monkeypatch.setattr(harness, "suite_instances", lambda suite, only=None: [("room_sit", False)])
    report = run_bench(out_dir=tmp_path, seeds=3, preset="fast", executor="ray",
                       executor_options={"num_cpus": 2}, run_fn=remote_run, figures=False)
    assert [r["seed"] for r in report.records] == [0, 1, 2]
    assert [r["status"] for r in report.records] == ["ok", "ok", "failed"], [r["error"] for r in report.records]
    assert "seed 2 fails" in report.records[2]["error"]
    pids = {(tmp_path / "zerohsi" / "room_sit" / f"seed{s}" / "worker_pid.txt").read_text() for s in (0, 1)}
    assert str(os.getpid()) not in pids  # the runs ran in Ray workers, not here
    # workers wait passively (unless the user chose otherwise) with as many threads as CPUs per run (1)
    expected = f"{os.environ.get('OMP_WAIT_POLICY', 'PASSIVE')} {os.environ.get('OMP_NUM_THREADS', '1')}"
    assert (tmp_path / "zerohsi" / "room_sit" / "seed0" / "worker_threads.txt").read_text() == expected
