"""Scoring an imported baseline motion with the same metric code as our runs, as a record of a sweep folder."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

from zerohsi.io import atomic_write_json

#: what a baseline can be scored on without a re-rendered video (CLIP needs frames; diversity needs the seeds)
BASELINE_METRICS: tuple[str, ...] = ("penetration", "foot_sliding", "contact", "object_penetration")


def instance_context(suite: str, instance: str, body_model) -> tuple[Any, Any, Optional[str], bool]:
    """(scene, object or None, prompt, dynamic) of a suite instance."""
    from zerohsi.scenes import build_object, build_scene
    from zerohsi.scenes.suite import load_suite

    inst = load_suite(suite).get(instance)
    obj = build_object(inst.object) if getattr(inst, "object", None) else None
    return build_scene(inst.scene), obj, getattr(inst, "prompt", None), obj is not None


def score_baseline(method: str, output: str | os.PathLike, *, instance: str, seed: int, out_dir: str | os.PathLike,
                   suite: str = "anyinteraction", options: Optional[dict] = None,
                   metrics: Iterable[str] = BASELINE_METRICS, context=None, host=None) -> dict[str, Any]:
    """Import ``output`` with the ``method`` baseline importer, score it and write
    ``<out_dir>/<method>/<instance>/seed<seed>/{motion.npz,record.json}``; returns the record.

    ``context``: (scene, obj, prompt, dynamic) instead of looking the instance up in ``suite``.
    """
    from zerohsi.metrics.base import EvalContext
    from zerohsi.metrics.evaluate import evaluate
    from zerohsi.plugins import get_host

    host = host or get_host()
    start = time.perf_counter()
    importer = host.build("baseline", method, options)
    body_model = host.build("body_model", importer.cfg.body)
    scene, obj, prompt, dynamic = context or instance_context(suite, instance, body_model)
    motion = importer.to_motion(output, body_model)
    result = evaluate(motion, EvalContext(body_model, scene=scene, obj=obj, prompt=prompt), metrics, host)
    run_dir = Path(out_dir) / method / instance / f"seed{seed}"
    motion.save(run_dir / "motion.npz")
    rec = {"method": method, "variant": method, "instance": instance, "seed": int(seed), "suite": suite,
           "scene": getattr(scene, "name", None),
           "dynamic": bool(dynamic), "run_dir": str(run_dir), "status": "ok", "error": None,
           "metrics": result.values, "skipped_metrics": result.skipped, "timings": {}, "config_hash": None,
           "source": str(output), "wall_s": time.perf_counter() - start}
    atomic_write_json(run_dir / "record.json", rec)
    return rec
