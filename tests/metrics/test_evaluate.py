"""Metrics run by registered name through the plugin registry."""

from __future__ import annotations

import torch

from zerohsi.metrics.base import EvalContext
from zerohsi.metrics.evaluate import evaluate


def test_evaluate_merges_and_reports_skips(stick_body, motion_factory, monkeypatch):
    monkeypatch.delenv("ZEROHSI_CLIP_WEIGHTS", raising=False)
    gt = motion_factory(torch.zeros(6, 3))
    pred = motion_factory(torch.tensor([[0.0, 0.02, 0.0]]).repeat(6, 1))
    ctx = EvalContext(stick_body, ground_truth=gt, video=None, prompt="walk")
    res = evaluate(pred, ctx, ["mpjpe", "foot_sliding", {"name": "penetration", "options": {"tolerance_m": 0.01}},
                               "clip_score", "contact"])
    assert abs(res.values["mpjpe_mm"] - 20.0) < 1e-3
    assert "foot_sliding" in res.values
    assert set(res.skipped) == {"penetration", "clip_score", "contact"}
    assert "scene" in res.skipped["penetration"] and "rendered" in res.skipped["clip_score"]
    assert "object" in res.skipped["contact"]


def test_missing_clip_weights_skip_with_the_fix_and_keep_the_others(stick_body, motion_factory, monkeypatch):
    import numpy as np

    from zerohsi.video.video import Video

    monkeypatch.delenv("ZEROHSI_CLIP_WEIGHTS", raising=False)
    motion = motion_factory(torch.zeros(3, 3))
    renders = Video(np.zeros((3, 8, 8, 3), np.uint8), fps=10)
    ctx = EvalContext(stick_body, ground_truth=motion, rendered=renders, prompt="walk")
    res = evaluate(motion, ctx, ["clip_score", "clip_consistency", "mpjpe"])
    assert res.values["mpjpe_mm"] == 0.0
    assert "ZEROHSI_CLIP_WEIGHTS" in res.skipped["clip_score"] and "ZEROHSI_CLIP_WEIGHTS" in res.skipped[
        "clip_consistency"]


def test_a_single_frame_is_skipped_not_perfect(stick_body, motion_factory):
    one = motion_factory(torch.zeros(1, 3))
    res = evaluate(one, EvalContext(stick_body), ["foot_sliding"])
    assert res.values == {} and "two frames" in res.skipped["foot_sliding"]
