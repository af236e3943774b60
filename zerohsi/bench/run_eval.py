"""Scoring a finished pipeline run with the benchmark's metric list, from the artifacts the run returned."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

import numpy as np


def rendered_video(run_dir: Path, fps: float):
    """The re-render of the reconstruction (``recon_frames.npz`` written by the pipeline) as a Video, or None."""
    from zerohsi.io import load_npz
    from zerohsi.video.video import Video

    path = Path(run_dir) / "recon_frames.npz"
    if not path.is_file():
        return None
    frames = load_npz(path).get("frames")
    if frames is None or frames.ndim != 4:
        return None
    if frames.dtype != np.uint8:
        frames = (np.clip(frames, 0.0, 1.0) * 255).round().astype(np.uint8)
    return Video(frames, fps)


def context_from_result(result: Any, run_dir: Path):
    """An EvalContext from a pipeline RunResult (its setup, video, masks, ground truth), or None for results that
    carry no setup (e.g. a stand-in run function)."""
    from zerohsi.metrics.base import EvalContext

    extras = getattr(result, "extras", None) or {}
    setup = extras.get("setup")
    motion = getattr(result, "motion", None)
    if setup is None or motion is None:
        return None
    clips = extras.get("clips") or [{}]
    return EvalContext(body_model=setup.avatar.body_model, scene=setup.scene, obj=setup.obj, prompt=setup.prompt,
                       video=getattr(result, "video", None), rendered=rendered_video(run_dir, motion.fps),
                       ground_truth=getattr(result, "ground_truth", None), gt_masks=clips[0].get("gt_masks"),
                       masks=getattr(result, "masks", None))


def evaluate_result(result: Any, run_dir: Path, metrics: Iterable[Any]) -> Optional[Any]:
    """:func:`zerohsi.metrics.evaluate` of the run's motion in its own context; None when there is no context."""
    from zerohsi.metrics.evaluate import evaluate

    ctx = context_from_result(result, run_dir)
    if ctx is None:
        return None
    return evaluate(result.motion, ctx, list(metrics))
