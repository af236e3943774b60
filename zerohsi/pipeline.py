"""The whole pipeline, stage by stage, as a Python API; `zerohsi run` is a thin layer over :func:`run`.

Stages (DESIGN.md): render_first_frame -> generate_video -> segment -> track_camera -> init_poses -> fit_hsi ->
refine -> evaluate -> export. Every stage writes its artifacts into the run folder and records a content key in
``stages.json``, so a re-run with ``resume=True`` skips finished stages; videos also go through the shared stage cache
so a paid video is never bought twice; tracking and fitting checkpoint every frame.
"""

from __future__ import annotations

# Before torch is imported: passive OpenMP waiting for `zerohsi.run` callers too (see zerohsi/threads.py).
from zerohsi.threads import configure_environment

configure_environment()

import logging  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Optional  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from zerohsi.cameras import Camera  # noqa: E402
from zerohsi.config import RunConfig, load_config, load_saved_config, save_config  # noqa: E402
from zerohsi.errors import UserError  # noqa: E402
from zerohsi.motion import Motion  # noqa: E402
from zerohsi.segment.masks import Masks  # noqa: E402
from zerohsi.setup import Setup, initial_body  # noqa: E402

log = logging.getLogger("zerohsi")


@dataclass
class RunResult:
    run_dir: Path
    motion: Motion
    metrics: dict[str, float]
    timings: dict[str, float]
    ground_truth: Optional[Motion] = None
    video: Any = None
    masks: Optional[Masks] = None
    extras: dict[str, Any] = field(default_factory=dict)


# -- devices and rendering ---------------------------------------------------------------------------------------
def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device={name} was requested but CUDA is not available; use device=auto or device=cpu.")
    return torch.device(name)


def make_render_fn(cfg: RunConfig):
    """A render function with the configured backend bound."""
    from zerohsi.render import render

    backend = cfg.render.backend

    def render_fn(gaussians, camera, **kwargs):
        return render(gaussians, camera, backend=backend, **kwargs)

    return render_fn


# -- setup ----------------------------------------------------------------------------------------------------------
def build_setup(cfg: RunConfig, device: torch.device | None = None) -> Setup:
    """Scene, object, avatar, initial state and camera of the configured instance."""
    from zerohsi.body.avatar import Avatar
    from zerohsi.plugins import get_host
    from zerohsi.scenes.instance_file import resolve_instance

    device = device or resolve_device(cfg.device)
    inst, scene, obj = resolve_instance(cfg.instance)
    body_model = get_host().build("body_model", cfg.avatar.body.name, cfg.avatar.body.options)
    avatar = Avatar.create(body_model, num_gaussians=cfg.avatar.num_gaussians, appearance=cfg.avatar.appearance,
                           seed=cfg.seed, color_hidden=cfg.avatar.color_hidden)
    body0 = initial_body(inst, scene, body_model)
    setup = Setup(
        scene=scene, avatar=avatar, body0=body0, camera0=inst.camera(cfg.render.width, cfg.render.height),
        prompt=cfg.instance.prompt or inst.prompt, seed=cfg.seed, obj=obj,
        object_pose0=inst.object_pose() if inst.object else None, instance=inst, device=device,
    )
    return setup


def composite(setup: Setup, params, object_pose, camera: Camera):
    """Scene (group 0) + avatar (group 1) + posed object (group 2) Gaussians."""
    from zerohsi.gaussians import Gaussians

    parts = [setup.scene.gaussians.with_group(0), setup.avatar.gaussians(params, camera).with_group(1)]
    if setup.obj is not None and object_pose is not None:
        parts.append(setup.obj.gaussians.with_group(2).transform(object_pose))
    return Gaussians.cat(parts)


def render_first_frame(setup: Setup, render_fn, background: torch.Tensor) -> tuple[np.ndarray, Masks]:
    """I0 (H,W,3) float in [0,1] and the rendered, occlusion-aware frame-0 masks (T=1)."""
    with torch.no_grad():
        g = composite(setup, setup.body0, setup.object_pose0, setup.camera0)
        out = render_fn(g, setup.camera0, with_groups=True, background=background)
    human = (out.groups[..., 1] > 0.5).cpu().numpy()[None]
    obj = (out.groups[..., 2] > 0.5).cpu().numpy()[None] if setup.obj is not None else None
    return out.rgb.clamp(0, 1).cpu().numpy(), Masks(human=human, object=obj)


# -- the run ----------------------------------------------------------------------------------------------------
def default_run_dir(cfg: RunConfig) -> Path:
    name = cfg.run_name or f"{cfg.instance.label}-s{cfg.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    return Path(cfg.output_dir) / name


def _as_config(config: Any, overrides=()) -> RunConfig:
    if isinstance(config, RunConfig):
        if overrides:
            from zerohsi.config.loader import parse_overrides
            from zerohsi.config.validate import merge_into, to_object

            return to_object(merge_into(config, parse_overrides(overrides)))
        return config
    return load_config(config, overrides)


def run(config: Any = "demo", overrides=(), *, run_dir: str | Path | None = None, resume: bool = False,
        progress: bool = True) -> RunResult:
    """Run every stage for ``config`` (a RunConfig, preset name or YAML path) and return the artifacts.

    With ``resume=True`` and an existing ``run_dir``, the saved config is used and finished stages/frames are skipped.
    """
    from zerohsi.preflight import check_run
    from zerohsi.recon.stages import StageStore

    if resume:
        if run_dir is None or not (Path(run_dir) / "config.yaml").exists():
            raise UserError(f"Cannot resume '{run_dir}': it has no config.yaml; start a new run instead.")
        cfg = load_saved_config(Path(run_dir) / "config.yaml")
    else:
        cfg = _as_config(config, overrides)
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(cfg)
    check_run(cfg, run_dir)  # every problem at once, before anything is written
    if not resume and StageStore.completed(run_dir):
        raise UserError(f"Run folder '{run_dir}' already holds a finished run; pick another --run-dir (or "
                        "output_dir/run_name).")
    # an unfinished folder (a failed or killed run) may be reused: stages whose inputs did not change are kept
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / "config.yaml")
    handler = logging.FileHandler(run_dir / "log.txt")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    terminal = logging.StreamHandler()  # warnings belong on the terminal too, not only in log.txt
    terminal.setLevel(logging.WARNING)
    terminal.setFormatter(logging.Formatter("warning: %(message)s"))
    log.addHandler(terminal)
    log.setLevel(logging.INFO)
    try:
        from zerohsi.recon.runner import ClipRunner

        return ClipRunner(cfg, run_dir, progress=progress).run()
    except Exception:
        # nothing worth keeping (no stage finished): leave no half-written folder behind; otherwise the folder stays
        # for --resume or for a corrected re-run into the same --run-dir, which reuses the finished stages
        if created and not StageStore(run_dir).done:
            log.removeHandler(handler)
            handler.close()
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    finally:
        log.removeHandler(handler)
        log.removeHandler(terminal)
        handler.close()


__all__ = ["RunResult", "build_setup", "composite", "make_render_fn", "render_first_frame", "resolve_device", "run"]

