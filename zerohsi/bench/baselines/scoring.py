"""Scoring an imported baseline motion through the same evaluation path as our runs, as a record of a sweep folder.

The baseline's motion is rendered like a run's reconstruction (avatar, object and scene of the instance) from the
cameras of the zerohsi run of the same instance and seed in the sweep (the instance's first camera when there is
none), so its rows get CLIP columns too; every registered metric is computed where it applies.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

from zerohsi.io import atomic_write_json


def instance_setup(suite: str, instance: str, body: str, preset: str = "paper_anny", overrides: Iterable[str] = ()):
    """The Setup (scene, object, avatar on ``body``, prompt, first camera) a run of ``instance`` would have under
    ``preset``, for rendering and scoring a baseline's motion."""
    from zerohsi.clip_setup import build_setup
    from zerohsi.config import load_config

    cfg = load_config(preset, [f"instance.suite={suite}", f"instance.name={instance}", f"avatar.body.name={body}",
                               *overrides])
    return build_setup(cfg), cfg


def run_cameras(out_dir: Path, instance: str, seed: int, variant: str = "zerohsi"):
    """The tracked cameras of the sweep's zerohsi run of (instance, seed), or None when it has none."""
    from zerohsi.motion import Motion

    path = Path(out_dir) / variant / instance / f"seed{seed}" / "motion.npz"
    if not path.is_file():
        return None
    motion = Motion.load(path)
    return motion.cameras() if motion.K is not None else None


def score_baseline(method: str, output: str | os.PathLike, *, instance: str, seed: int, out_dir: str | os.PathLike,
                   suite: str = "anyinteraction", options: Optional[dict] = None,
                   metrics: Optional[Iterable[str]] = None, setup=None, preset: str = "paper_anny",
                   overrides: Iterable[str] = (), render: bool = True, host=None) -> dict[str, Any]:
    """Import ``output`` with the ``method`` baseline importer, render and score it and write
    ``<out_dir>/<method>/<instance>/seed<seed>/{motion.npz,recon_frames.npz,reconstruction.mp4,record.json}``;
    returns the record.

    setup: the instance's Setup (default: built from ``preset`` + ``overrides`` on the importer's body); render: False
    scores without renders (the CLIP metrics are then recorded as skipped). metrics: default every registered one.
    """
    from zerohsi.metrics.evaluate import evaluate_run
    from zerohsi.plugins import get_host
    from zerohsi.provenance import clip_provenance, scene_provenance, setup_label

    host = host or get_host()
    start = time.perf_counter()
    importer = host.build("baseline", method, options)
    if setup is None:
        setup, _ = instance_setup(suite, instance, importer.cfg.body, preset, overrides)
    motion = importer.to_motion(output, setup.avatar.body_model)
    run_dir = Path(out_dir) / method / instance / f"seed{seed}"
    motion.save(run_dir / "motion.npz")
    rendered = cams = None
    if render:
        from zerohsi.outputs.reconstruction import render_reconstruction_video

        cams = run_cameras(Path(out_dir), instance, seed)
        if cams is not None:  # the baseline is as long as its own output: hold the last camera past the run's end
            cams = [cams[min(t, len(cams) - 1)] for t in range(len(motion))]
        rendered = render_reconstruction_video(setup, motion, run_dir, cameras=cams)
    result = evaluate_run(motion, setup, rendered=rendered, metrics=metrics, host=host)
    prov = {"method": method, "body_model": setup.avatar.body_model.name, **scene_provenance(setup.scene),
            "cameras": None if not render else ("zerohsi run" if cams is not None else "instance"),
            "retarget_error_m": motion.provenance.get("retarget_error_m"), **clip_provenance(result)}
    paper_setup, label = setup_label(prov, baseline=True)
    dynamic = setup.obj is not None
    rec = {"method": method, "variant": method, "instance": instance, "seed": int(seed), "suite": suite,
           "scene": getattr(setup.scene, "name", None),
           "dynamic": bool(dynamic), "run_dir": str(run_dir), "status": "ok", "error": None,
           "metrics": result.values, "skipped_metrics": result.skipped, "provenance": prov,
           "paper_setup": paper_setup, "setup_label": label, "timings": {}, "config_hash": None,
           "source": str(output), "wall_s": time.perf_counter() - start}
    atomic_write_json(run_dir / "metrics.json", {**result.to_json(), "run": prov})
    atomic_write_json(run_dir / "record.json", rec)
    return rec
