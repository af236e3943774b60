"""Where a result came from: code revision, config hash, plugin versions."""

from __future__ import annotations

import functools
import hashlib
import platform
import subprocess
from pathlib import Path
from typing import Any, Optional


def git_revision(path: Path | None = None) -> str:
    """The source tree's commit (with '+dirty' when it has local changes), or 'unknown' outside a git checkout."""
    root = path or Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "") if rev else "unknown"


def config_hash(cfg: Any) -> str:
    """Short sha256 of a config's resolved YAML (the same settings give the same hash)."""
    from zerohsi.config import to_yaml

    return hashlib.sha256(to_yaml(cfg).encode()).hexdigest()[:12]


def plugin_versions() -> dict[str, str]:
    """Distribution name -> version of every loaded plugin (zerohsi's own built-ins included)."""
    from zerohsi.plugins import get_host

    return {p.distribution: p.version for p in get_host().plugins.values() if p.status == "ok"}


def provenance() -> dict[str, Any]:
    import zerohsi

    return {"zerohsi_version": zerohsi.__version__, "git_revision": git_revision(),
            "python": platform.python_version(), "plugins": plugin_versions()}


def _options(component: Any) -> dict[str, Any]:
    opts = getattr(component, "options", None) or {}
    try:
        return dict(opts)
    except (TypeError, ValueError):
        return {}


def clip_provenance(evaluation: Any) -> dict[str, Any]:
    """The CLIP model and weights the CLIP metrics of an evaluation used ({} when none was computed)."""
    per_metric = getattr(evaluation, "provenance", None) or {}
    for name in ("clip_score", "clip_consistency"):
        if name in per_metric:
            p = per_metric[name]
            return {"clip_model": p.get("model"), "clip_weights": p.get("weights"),
                    "clip_random_weights": bool(p.get("random_weights")), "clip_frames": p.get("frames")}
    return {}


def scene_provenance(scene: Any) -> dict[str, Any]:
    source = getattr(scene, "source", "procedural")
    twin = source == "procedural"
    return {"scene": getattr(scene, "name", None), "scene_source": "procedural twin" if twin else "real capture",
            "scene_file": None if twin else Path(str(source)).name}


def run_provenance(cfg: Any, setup: Any, video: Any, masks: Any, evaluation: Any = None) -> dict[str, Any]:
    """What produced a run's numbers: the video (generator, model, whether it is the scripted test signal), the
    masks (segmenter, whether its weights were random), the pose initializer, the CLIP weights, the body model,
    the scene (procedural twin or real capture), the image size and the iteration counts."""
    vprov = getattr(video, "provenance", None) or {}
    mprov = getattr(masks, "provenance", None) or {}
    seg_opts = _options(cfg.segmenter)
    prov = {
        "generator": vprov.get("generator", cfg.video.generator.name), "video_model": vprov.get("model"),
        "test_signal": bool(vprov.get("test_signal", False)),
        "segmenter": mprov.get("segmenter", cfg.segmenter.name),
        "segmenter_random_weights": bool(mprov.get("random_weights", seg_opts.get("random_weights", False))),
        "pose_initializer": cfg.pose_initializer.name,
        "body_model": getattr(setup.avatar.body_model, "name", cfg.avatar.body.name),
        **scene_provenance(setup.scene),
        "object": getattr(setup.obj, "name", None) if setup.obj is not None else None, "prompt": setup.prompt,
        "image_size": [int(cfg.render.width), int(cfg.render.height)],
        "num_frames": int(cfg.video.num_frames), "fps": float(cfg.video.fps),
        "tracking_iters": int(cfg.tracking.iters), "fit_iters": int(cfg.fit.iters),
        "root_only_iters": int(cfg.fit.root_only_iters), "opt_body": bool(cfg.fit.opt_body),
        "opt_all": bool(cfg.fit.opt_all), "refiners": [r.name for r in cfg.refiners],
    }
    prov.update(clip_provenance(evaluation))
    return prov


#: the fields of a run's provenance that must equal the paper preset's for the run to count as "the paper's setup"
SETUP_FIELDS = ("generator", "segmenter", "pose_initializer", "body_model", "image_size", "num_frames",
                "tracking_iters", "fit_iters", "root_only_iters", "opt_body", "opt_all", "refiners")


#: presets that are the paper's setup up to what the provenance itself tells (paper_anny: only the body differs)
PAPER_FAMILY = ("paper", "paper_anny")


def reference_preset(preset: Optional[str]) -> str:
    """The paper preset a run is compared with: its own when it is the paper's or a Table 4 ablation of it."""
    return preset if preset and (preset == "paper" or preset.startswith("ablations/")) else "paper"


def in_paper_family(preset: Optional[str]) -> bool:
    """Whether a preset is the paper's (or an ablation, or paper_anny): its label then names each difference
    (e.g. "anny") rather than the preset."""
    return not preset or preset in PAPER_FAMILY or preset.startswith("ablations/")


@functools.lru_cache(maxsize=8)
def reference_setup(preset: Optional[str]) -> dict[str, Any]:
    """:func:`run_provenance`'s setup fields as the paper preset (or its ablation) sets them."""
    from zerohsi.config import load_config

    cfg = load_config(reference_preset(preset))
    # cached per preset: callers only read it
    return {"generator": cfg.video.generator.name, "segmenter": cfg.segmenter.name,
            "pose_initializer": cfg.pose_initializer.name, "body_model": cfg.avatar.body.name,
            "image_size": [int(cfg.render.width), int(cfg.render.height)], "num_frames": int(cfg.video.num_frames),
            "tracking_iters": int(cfg.tracking.iters), "fit_iters": int(cfg.fit.iters),
            "root_only_iters": int(cfg.fit.root_only_iters), "opt_body": bool(cfg.fit.opt_body),
            "opt_all": bool(cfg.fit.opt_all), "refiners": [r.name for r in cfg.refiners]}


def setup_differences(prov: dict[str, Any], reference: dict[str, Any], preset: Optional[str] = None) -> list[str]:
    """Short labels of how a run's setup differs from the paper's, in a fixed order ([] when it is the paper's).

    A preset other than the paper's is named once instead of listing the sizes and counts it implies.
    """
    out: list[str] = []
    if prov.get("test_signal"):
        out.append("test signal")
    elif prov.get("generator") not in (None, reference.get("generator")):
        out.append(str(prov["generator"]))
    own_preset = not in_paper_family(preset)
    if own_preset:
        out.append(str(preset))
    if prov.get("body_model") not in (None, reference.get("body_model")):
        out.append(str(prov["body_model"]))
    if prov.get("segmenter_random_weights"):
        out.append(f"random {prov.get('segmenter')} weights")
    if prov.get("clip_random_weights"):
        out.append("random CLIP weights")
    if prov.get("scene_source") == "procedural twin":
        out.append("procedural scenes")
    if not own_preset:
        for key in ("segmenter", "pose_initializer"):
            if prov.get(key) not in (None, reference.get(key)):
                out.append(str(prov[key]))
        size = prov.get("image_size")
        if size and list(size) != list(reference["image_size"]):
            out.append(f"{size[0]}x{size[1]}")
        for key, what in (("num_frames", "frames"), ("tracking_iters", "tracking iters"), ("fit_iters", "fit iters"),
                          ("root_only_iters", "root-only iters")):
            if key in prov and prov[key] != reference.get(key):
                out.append(f"{prov[key]} {what}")
        for key in ("opt_body", "opt_all"):
            if key in prov and prov[key] != reference.get(key):
                out.append(f"{key}={str(prov[key]).lower()}")
        if "refiners" in prov and list(prov["refiners"]) != list(reference.get("refiners") or []):
            out.append("refined: " + "+".join(prov["refiners"]) if prov["refiners"] else "unrefined")
    return out


#: provenance a record needs before its setup can be judged at all (runs; baselines need only the last two)
RUN_FIELDS = ("generator", "body_model", "scene_source")
BASELINE_FIELDS = ("body_model", "scene_source")


def setup_label(prov: dict[str, Any], preset: Optional[str] = None, *, baseline: bool = False) -> tuple[bool, str]:
    """(whether a record is of the paper's setup, the label of its setup: "" for the paper's, else e.g.
    "test signal · fast · anny · procedural scenes"). A record without provenance is never the paper's setup."""
    diffs = setup_differences(prov, reference_setup(preset), None if baseline else preset)
    if any(prov.get(k) is None for k in (BASELINE_FIELDS if baseline else RUN_FIELDS)):
        diffs.append("no provenance")
    return not diffs, " · ".join(diffs)
