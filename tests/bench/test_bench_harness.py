"""The sweep harness with a fake run function in place of the pipeline."""

from __future__ import annotations

import csv
import json
import types
from dataclasses import dataclass

import pytest
import torch

from zerohsi.bench import harness
from zerohsi.bench.harness import add_diversity, run_bench
from zerohsi.body.params import BodyParams
from zerohsi.errors import UserError
from zerohsi.motion import Motion
from zerohsi.plugins import hookimpl
from zerohsi.plugins.manager import PluginHost, PluginStatus

INSTANCES = [("room_sit", False), ("room_carry", True)]


@dataclass
class FakeResult:
    metrics: dict
    timings: dict
    motion: Motion | None = None


def fake_run(calls: list):
    def run_fn(cfg, run_dir, resume):
        calls.append((cfg.instance.name, cfg.seed, cfg.fit.opt_body))
        if cfg.instance.name == "room_carry" and cfg.seed == 1:
            raise RuntimeError("simulated crash")
        base = 20.0 + cfg.seed + (0.5 if cfg.fit.opt_body else 0.0)
        metrics = {"clip_score": base, "pene_max": 1.0 + cfg.seed, "foot_sliding": 0.1}
        if cfg.instance.name == "room_carry":
            metrics["contact"] = 0.8
        return FakeResult(metrics, {"fit_hsi": 1.5})

    return run_fn


@pytest.fixture
def fake_suite(monkeypatch):
    monkeypatch.setattr(harness, "suite_instances",
                        lambda suite, only=None: [i for i in INSTANCES if not only or i[0] in only])


def test_sweep_records_failures_writes_tables_and_resumes(tmp_path, fake_suite):
    calls: list = []
    out = tmp_path / "sweep"
    report = run_bench(out_dir=out, suite="anyinteraction-lite", seeds=2, preset="fast", ablations=["wo_opt_body"],
                       run_fn=fake_run(calls))
    assert len(report.records) == 8 and len(calls) == 8
    failed = report.failed
    assert len(failed) == 2 and all("simulated crash" in r["error"] for r in failed)
    assert (out / "zerohsi" / "room_carry" / "seed1" / "error.txt").is_file()
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 8 and {"clip_score", "time_fit_hsi", "config_hash"} <= set(rows[0])
    data = json.loads((out / "results.json").read_text())
    assert data["provenance"]["git_revision"] and "zerohsi" in data["provenance"]["plugins"]
    # ablation variant really got the ablation preset (opt_body false) and the full one did not
    assert {c[2] for c in calls if c[0] == "room_sit"} == {True, False}
    t1 = next(t for t in report.tables if t.key == "table1")
    ours = next(r for r in t1.rows if r.source == "ours")
    assert ours.n == 2 and ours.values[0] == pytest.approx((20.5 + 21.5) / 2)
    t2 = next(t for t in report.tables if t.key == "table2")
    ours2 = next(r for r in t2.rows if r.source == "ours")
    assert ours2.n == 1 and ours2.values[6] == pytest.approx(0.8)  # contact column, the crashed seed left out
    t4 = next(t for t in report.tables if t.key == "table4")
    # fake runs have no provenance: labelled rows, never the paper-named ones
    # (the ablation runs on the sweep's preset, so its label names that preset too)
    assert {r.name for r in t4.rows if r.source == "ours"} == {"Full · fast · no provenance",
                                                                 "w/o OPT_body · fast · no provenance"}
    md = (out / "tables.md").read_text()
    assert "TRUMANS (paper)" in md and "ZeroHSI · fast · no provenance (ours, n=2)" in md
    assert (out / "table1.png").stat().st_size > 1000 and "\\begin{tabular}" in (out / "tables.tex").read_text()

    with pytest.raises(UserError, match="--resume"):
        run_bench(out_dir=out, suite="anyinteraction-lite", seeds=2, preset="fast", run_fn=fake_run([]))
    again: list = []
    report2 = run_bench(out_dir=out, suite="anyinteraction-lite", seeds=2, preset="fast", ablations=["wo_opt_body"],
                        resume=True, run_fn=fake_run(again))
    assert len(again) == 2  # only the two failed runs ran again
    assert sum(bool(r.get("skipped")) for r in report2.records) == 6


def test_unknown_metric_stops_before_any_run(tmp_path, fake_suite):
    calls: list = []
    with pytest.raises(UserError, match="mpjpee|mpjpe"):
        run_bench(out_dir=tmp_path, seeds=1, preset="fast", metrics=["mpjpee"], run_fn=fake_run(calls))
    assert calls == []


def test_unknown_ablation_is_recorded_not_fatal(tmp_path, fake_suite):
    report = run_bench(out_dir=tmp_path, seeds=1, preset="fast", ablations=["no_such_thing"], include_full=False,
                       instances=["room_sit"], run_fn=fake_run([]), figures=False)
    assert report.failed and "Unknown preset" in report.failed[0]["error"]


def test_diversity_over_seeds(tmp_path, point_body):
    host = PluginHost()
    mod = types.SimpleNamespace(ZEROHSI_PLUGIN_API=1)

    @hookimpl
    def register_body_models(register):
        register("point_body", lambda cfg: point_body)

    mod.register_body_models = register_body_models
    host.add_module(mod, PluginStatus("pointbody", "pointbody", "0", "pointbody"))
    assert host.plugins["pointbody"].status == "ok", host.plugins["pointbody"].error
    records = []
    for seed, dx in enumerate([0.0, 0.3, 0.6]):
        run_dir = tmp_path / f"seed{seed}"
        T = 4
        body = BodyParams(torch.tensor([[dx, 0.0, 0.0]]).repeat(T, 1), torch.zeros(T, 3), torch.zeros(T, 60),
                          torch.zeros(T, 1))
        Motion(body, "point_body", 10.0).save(run_dir / "motion.npz")
        records.append({"status": "ok", "method": "zerohsi", "variant": "zerohsi", "instance": "a", "seed": seed,
                        "run_dir": str(run_dir), "metrics": {}})
    add_diversity(records, host=host)
    assert records[0]["metrics"]["diversity"] == pytest.approx((0.3 + 0.6) / 2, abs=1e-6)
    assert records[1]["metrics"]["diversity"] == pytest.approx(0.3, abs=1e-6)
