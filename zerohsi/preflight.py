"""Preflight: everything a run (or a sweep of runs) needs, checked before its first stage.

A run that is going to fail for a reason the user can fix before it starts — a component name, an option, a
number out of range, an API key, weights or model files, an instance, an output folder — must fail in seconds,
with every problem named at once and nothing written, instead of after minutes of fitting or one paid video later.
The checks are cheap and offline: components are looked up and their options validated, and each component's
``requirements`` (see :mod:`zerohsi.plugins.hookspecs`) says what it still lacks; nothing is built or paid for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Optional

from zerohsi.config import RunConfig
from zerohsi.errors import UserError

#: (config path, predicate, what a valid value is); the predicate gets the value at the path
_RANGES: list[tuple[str, Callable[[Any], bool], str]] = [
    ("seed", lambda v: v >= 0, "a whole number >= 0"),
    ("render.width", lambda v: 16 <= v <= 8192, "a width in pixels from 16 to 8192"),
    ("render.height", lambda v: 16 <= v <= 8192, "a height in pixels from 16 to 8192"),
    ("render.background", lambda v: len(v) == 3 and all(0.0 <= c <= 1.0 for c in v),
     "three values in [0, 1] (an RGB colour)"),
    ("avatar.num_gaussians", lambda v: v >= 1, "at least 1"),
    ("avatar.color_hidden", lambda v: v >= 1, "at least 1"),
    ("video.num_frames", lambda v: v >= 2, "at least 2 frames"),
    ("video.fps", lambda v: 0.0 < v <= 240.0, "a frame rate above 0 and at most 240"),
    ("instance.scene_density", lambda v: 0.0 < v <= 100.0, "above 0 and at most 100"),
    ("tracking.iters", lambda v: v >= 0, "a whole number >= 0"),
    ("tracking.lr", lambda v: v > 0.0, "above 0"),
    ("fit.iters", lambda v: v >= 0, "a whole number >= 0"),
    ("fit.lr", lambda v: v > 0.0, "above 0"),
    ("fit.root_only_iters", lambda v: v >= 0, "a whole number >= 0"),
    ("fit.lambda_dssim", lambda v: 0.0 <= v <= 1.0, "in [0, 1]"),
    ("fit.color_every", lambda v: v >= 1, "at least 1"),
    ("fit.color_lr", lambda v: v >= 0.0, ">= 0"),
    ("fit.w_center", lambda v: v >= 0.0, ">= 0"),
    ("fit.w_depth", lambda v: v >= 0.0, ">= 0"),
    ("fit.w_mask", lambda v: v >= 0.0, ">= 0"),
    ("fit.w_center_human", lambda v: v >= 0.0, ">= 0"),
    ("fit.w_keypoints", lambda v: v >= 0.0, ">= 0"),
    ("fit.keypoint_robust_scale", lambda v: v > 0.0, "above 0"),
    ("fit.keypoint_tolerance", lambda v: v >= 0.0, ">= 0"),
    ("fit.w_temporal", lambda v: v >= 0.0, ">= 0"),
    ("fit.extrapolate", lambda v: 0.0 <= v <= 2.0, "in [0, 2]"),
    ("fit.extrapolate_pose", lambda v: 0.0 <= v <= 2.0, "in [0, 2]"),
    ("chain.clips", lambda v: v >= 1, "at least 1"),
    ("wandb.mode", lambda v: v in (None, "offline", "online", "disabled"), "offline, online or disabled"),
    ("device", lambda v: v in ("auto", "cpu") or re.fullmatch(r"cuda(:\d+)?", v) is not None,
     "auto, cpu, cuda or cuda:N"),
]


def _get(cfg: Any, path: str) -> Any:
    for part in path.split("."):
        cfg = getattr(cfg, part)
    return cfg


def range_problems(cfg: RunConfig) -> list[str]:
    """One sentence per numeric (or enumerated) setting outside its valid range."""
    problems = []
    for path, ok, valid in _RANGES:
        value = _get(cfg, path)
        try:
            good = bool(ok(value))
        except TypeError:
            good = False
        if not good:
            problems.append(f"{path}={value!r} is out of range; use {valid}.")
    return problems


def component_problems(cfg: RunConfig, host=None, requirements: bool = True) -> list[str]:
    """Unknown components, invalid options and (with ``requirements``) missing requirements (keys, weights, model
    files) of every component the run selects, named by the config path the user sets them with."""
    from zerohsi.config.validate import validate_component_options
    from zerohsi.errors import ConfigError
    from zerohsi.plugins import get_host

    host = host or get_host()
    chosen = [
        ("video_generator", cfg.video.generator.name, cfg.video.generator.options, "video.generator"),
        ("segmenter", cfg.segmenter.name, cfg.segmenter.options, "segmenter"),
        ("pose_initializer", cfg.pose_initializer.name, cfg.pose_initializer.options, "pose_initializer"),
        ("body_model", cfg.avatar.body.name, cfg.avatar.body.options, "avatar.body"),
    ]
    chosen += [("refiner", r.name, r.options, f"refiners[{i}]") for i, r in enumerate(cfg.refiners)]
    chosen += [("metric", name, None, f"metrics[{i}]") for i, name in enumerate(cfg.metrics)]
    if cfg.render.backend != "auto":
        chosen.append(("render_backend", cfg.render.backend, None, "render.backend"))
    problems = []
    for role, name, options, where in chosen:
        try:
            entry = host.get(role, name)
        except UserError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if requirements:
            problems += entry.missing(options, f"{where}.options")
            continue
        try:
            validate_component_options(entry, options, f"{where}.options")
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def instance_problems(cfg: RunConfig) -> list[str]:
    """The instance (a file, or a suite and name) exists and reads; its placement in the scene is checked when the
    scene is built, still before any video is generated."""
    from zerohsi.scenes.instance_file import load_instance_file
    from zerohsi.scenes.suite import load_suite

    problems = []
    try:
        if cfg.instance.file:
            load_instance_file(cfg.instance.file)
        else:
            load_suite(cfg.instance.suite).get(cfg.instance.name)
    except UserError as exc:
        problems.append(str(exc))
    if cfg.instance.scene_ply and not Path(cfg.instance.scene_ply).expanduser().is_file():
        problems.append(f"instance.scene_ply '{cfg.instance.scene_ply}' does not exist; give the path of your 3DGS "
                        ".ply.")
    return problems


def output_problems(path: Optional[os.PathLike | str], what: str = "run folder") -> list[str]:
    """Whether ``path`` (to be created if needed) can be written: its nearest existing ancestor must be a folder
    this process may write in."""
    if path is None:
        return []
    path = Path(path).expanduser().absolute()
    if path.exists() and not path.is_dir():
        return [f"The {what} '{path}' is a file; pick a folder path (--run-dir / output_dir)."]
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        return [f"The {what} '{path}' cannot be created: '{probe}' is a file, not a folder; pick another path."]
    if not os.access(probe, os.W_OK | os.X_OK):
        return [f"The {what} '{path}' cannot be written: no write permission in '{probe}'; pick another path."]
    return []


def problems(cfg: RunConfig, run_dir: Optional[os.PathLike | str] = None, instance: bool = True) -> list[str]:
    """Every problem that would stop a run of ``cfg``, in one list (empty: ready); ``instance=False`` skips the
    instance look-up (a sweep's instances come from its suite's own listing)."""
    found = range_problems(cfg)
    found += instance_problems(cfg) if instance else []
    found += component_problems(cfg)
    if cfg.device.startswith("cuda"):  # a well-formed CUDA device: is there one (the run's own rule)?
        from zerohsi.devices import resolve_device

        try:
            resolve_device(cfg.device)
        except UserError as exc:
            found.append(str(exc))
    found += output_problems(run_dir if run_dir is not None else cfg.output_dir)
    return found


def report(found: Iterable[str], heading: str = "This run cannot start") -> None:
    """Raise one UserError naming every problem (numbered, on one line), or return when there are none."""
    unique = list(dict.fromkeys(" ".join(p.split()) for p in found))
    if len(unique) == 1:
        raise UserError(f"{heading}: {unique[0]}")
    if unique:
        listing = " ".join(f"({i}) {p}" for i, p in enumerate(unique, 1))
        raise UserError(f"{heading} ({len(unique)} problems): {listing}")


def check_run(cfg: RunConfig, run_dir: Optional[os.PathLike | str] = None) -> None:
    """Preflight of one run: raise a UserError listing every problem, before anything is written."""
    report(problems(cfg, run_dir))


def check_sweep(configs: Iterable[RunConfig], out_dir: os.PathLike | str) -> None:
    """Preflight of a sweep: every run's problems (each distinct one once), before any run starts."""
    found: list[str] = output_problems(out_dir, "sweep folder")
    for cfg in configs:
        found += problems(cfg, run_dir=out_dir, instance=False)
    report(found, "This sweep cannot start")  # a problem shared by every run is named once
