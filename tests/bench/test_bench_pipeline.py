"""A tiny benchmark sweep through the real pipeline (no stand-in run function): the CLIP metrics score the rendered
reconstruction, provenance reaches record.json and the tables, a test-signal run never makes the paper-named row,
skipped metrics show as skipped, each run folder keeps its metrics, and baseline inputs come from the run's real
scene and object."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from zerohsi.bench.harness import run_bench
from zerohsi.io import load_npz

STATIC, DYNAMIC = "living_room_sit_sofa", "gym_lift_barbell"
TINY = ["render.width=48", "render.height=36", "video.num_frames=3", "tracking.iters=2", "fit.iters=2",
        "fit.root_only_iters=1", "instance.scene_density=0.05", "avatar.num_gaussians=300", "export.formats=[npz]"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    pytest.importorskip("open_clip")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZEROHSI_CLIP_WEIGHTS", "random")  # the real architecture, random weights: provenance must say so
    root = tmp_path_factory.mktemp("bench")
    try:
        report = run_bench(out_dir=root / "sweep", suite="anyinteraction-lite", instances=[STATIC, DYNAMIC], seeds=1,
                           preset="fast", overrides=[*TINY, f"cache_dir={root / 'cache'}"], figures=True)
    finally:
        mp.undo()
    return root / "sweep", report


def _rec(report, instance):
    return next(r for r in report.records if r["instance"] == instance)


def test_runs_succeed_and_keep_their_metrics(sweep):
    out, report = sweep
    assert not report.failed, [r["error"] for r in report.failed]
    rec = _rec(report, STATIC)
    run = out / "zerohsi" / STATIC / "seed0"
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["values"] and saved["values"]["pene_pct"] == rec["metrics"]["pene_pct"]
    assert {"clip_score", "clip_consistency", "pene_pct", "foot_sliding", "mpjpe_mm"} <= set(rec["metrics"])
    report_html = (run / "report.html").read_text()
    assert "No metrics." not in report_html and "pene_pct" in report_html


def test_clip_scores_the_rendered_reconstruction(sweep):
    from zerohsi.metrics.clip import clip_score, load_clip
    from zerohsi.metrics.configs import ClipConfig

    out, report = sweep
    rec = _rec(report, STATIC)
    run = out / "zerohsi" / STATIC / "seed0"
    rendered = load_npz(run / "recon_frames.npz")["frames"]
    source = load_npz(run / "frames.npz")["frames"]
    assert rendered.shape == source.shape and (run / "reconstruction.mp4").stat().st_size > 0
    assert not np.array_equal(rendered, source)  # renders of the fit, not the video that guided it
    from zerohsi.scenes.suite import load_suite

    clip = load_clip(ClipConfig(weights="random"))
    prompt = load_suite("anyinteraction-lite").get(STATIC).prompt
    text = clip.encode_text(prompt)
    on_renders = clip_score(clip.encode_frames(rendered), text)
    on_source = clip_score(clip.encode_frames(source), text)
    assert rec["metrics"]["clip_score"] == pytest.approx(on_renders, abs=1e-4)
    assert abs(on_renders - on_source) > 1e-4


def test_provenance_reaches_the_record(sweep):
    out, report = sweep
    rec = json.loads((out / "zerohsi" / DYNAMIC / "seed0" / "record.json").read_text())
    prov = rec["provenance"]
    assert prov["test_signal"] is True and prov["generator"] == "scripted"
    assert prov["segmenter"] == "scene_difference" and prov["segmenter_random_weights"] is False
    assert prov["pose_initializer"] == "previous_frame" and prov["body_model"] == "anny"
    assert prov["clip_model"] == "ViT-B-32" and prov["clip_random_weights"] is True
    assert prov["scene_source"] == "procedural twin" and prov["image_size"] == [48, 36]
    assert (prov["fit_iters"], prov["tracking_iters"], prov["preset"]) == (2, 2, "fast")
    assert rec["paper_setup"] is False
    assert rec["setup_label"] == "test signal · fast · anny · random CLIP weights · procedural scenes"


def test_tables_label_the_smoke_runs_and_show_skips(sweep):
    out, report = sweep
    t1 = next(t for t in report.tables if t.key == "table1")
    ours = [r for r in t1.rows if r.source == "ours"]
    assert ours and all(not r.paper_setup and r.name != "ZeroHSI" for r in ours)  # never the paper-named row
    label = _rec(report, STATIC)["setup_label"]
    row = next(r for r in ours if r.name == f"ZeroHSI · {label}")
    div = [c.key for c in t1.columns].index("diversity")
    assert row.values[div] is None and "seeds" in row.skip_reason(div)  # one seed: diversity skipped, with why
    md, tex = (out / "tables.md").read_text(), (out / "tables.tex").read_text()
    assert f"ZeroHSI · {label} (ours, n=1)" in md and "| skipped |" in md and "ZeroHSI (ours" not in md
    assert "ZeroHSI $\\cdot$ test signal" in tex and "(paper: 55 sequences; ours: 1 run)" in md
    assert (out / "table1.png").read_bytes()[:4] == b"\x89PNG"
    csv = (out / "results.csv").read_text()
    assert "prov_test_signal" in csv and "skipped_diversity" in csv


def test_sweep_report_shows_the_paper_tables(sweep):
    from zerohsi.bench.report import write_sweep_report

    out, _ = sweep
    text = write_sweep_report(out).read_text()
    assert "TRUMANS (paper)" in text and "test signal" in text and "data:image/png;base64" in text


def test_baseline_inputs_come_from_the_runs_scene_and_object(sweep, tmp_path):
    from zerohsi.bench.baselines.export import export_inputs

    out, _ = sweep
    export_inputs(out, tmp_path)
    static = pickle.loads((tmp_path / STATIC / "seed0" / "lingo_segments.pkl").read_bytes())[0]
    assert static["scene_name"] == "living_room"  # the scene, not the instance name
    chois = json.loads((tmp_path / DYNAMIC / "seed0" / "chois_input.json").read_text())
    assert chois["object"] == "barbell" and "object_pose_start" in chois
    assert json.loads((tmp_path / STATIC / "seed0" / "chois_input.json").read_text())["object"] is None


def test_baseline_rendered_and_scored_like_a_run(sweep, tmp_path, monkeypatch):
    from zerohsi.bench.baselines.scoring import instance_setup, score_baseline
    from zerohsi.poseinit.testing import write_smpl_family_model

    out, _ = sweep
    monkeypatch.setenv("ZEROHSI_CLIP_WEIGHTS", "random")
    model = write_smpl_family_model(tmp_path / "SMPLX_NEUTRAL.npz", "smplx")
    T = 9  # 30 fps -> 3 frames at 10 fps, as long as the run
    t = np.arange(T, dtype=np.float64) / 30
    (tmp_path / "lingo.pkl").write_bytes(pickle.dumps({
        "transl": np.stack([0.3 * t, np.full(T, 0.9), np.zeros(T)], -1), "body_pose": np.zeros((T, 63)),
        "global_orient": np.zeros((T, 3))}))
    setup, _ = instance_setup("anyinteraction-lite", STATIC, "anny", "fast", TINY)
    rec = score_baseline("lingo", tmp_path / "lingo.pkl", instance=STATIC, seed=0, out_dir=out,
                         suite="anyinteraction-lite", options={"model_path": str(model), "fit_iters": 10},
                         setup=setup)
    run = out / "lingo" / STATIC / "seed0"
    frames = load_npz(run / "recon_frames.npz")["frames"]
    assert frames.shape == (3, 36, 48, 3)  # rendered from the zerohsi run's tracked cameras
    assert {"clip_score", "clip_consistency", "pene_pct", "foot_sliding"} <= set(rec["metrics"])
    assert rec["provenance"]["cameras"] == "zerohsi run" and rec["provenance"]["clip_random_weights"] is True
    assert rec["paper_setup"] is False and "anny" in rec["setup_label"]
