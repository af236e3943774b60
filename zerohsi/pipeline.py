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
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from zerohsi.clip_setup import build_setup  # noqa: E402
from zerohsi.composition import composite, make_render_fn, render_first_frame  # noqa: E402
from zerohsi.config import RunConfig, load_config, load_saved_config, save_config  # noqa: E402
from zerohsi.devices import resolve_device  # noqa: E402
from zerohsi.errors import UserError  # noqa: E402
from zerohsi.recon.runner import ClipRunner, RunResult  # noqa: E402

log = logging.getLogger("zerohsi")


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
        progress: bool = True, log_wandb: bool = True) -> RunResult:
    """Run every stage for ``config`` (a RunConfig, preset name or YAML path) and return the artifacts.

    With ``resume=True`` and an existing ``run_dir``, the saved config is used and finished stages/frames are skipped.
    With ``wandb.enabled`` the finished run folder is logged to W&B (``log_wandb=False``: the caller logs it, as a
    benchmark sweep does with its records).
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
    created = run_dir  # the topmost folder this call creates, removed again if nothing worth keeping is done
    while not created.parent.exists():
        created = created.parent
    created = None if run_dir.exists() else created
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
    wandb_run = None
    try:
        runner = ClipRunner(cfg, run_dir, progress=progress)
        if log_wandb and cfg.wandb.enabled:
            from zerohsi.wandb_log import RunLogging

            wandb_run = RunLogging(cfg, run_dir)  # fails at once when wandb is missing, not after the run
            runner.extra_callbacks = [*runner.extra_callbacks, *wandb_run.callbacks()]
        result = runner.run()
        if wandb_run is not None:
            wandb_run.finish(ok=True)
        return result
    except BaseException as exc:
        if wandb_run is not None:
            wandb_run.finish(ok=False)
        # nothing worth keeping (no stage finished): leave no half-written folder behind; otherwise the folder stays
        # for --resume or for a corrected re-run into the same --run-dir, which reuses the finished stages (an
        # interrupt keeps it too: the checkpoints resume it)
        if isinstance(exc, Exception) and created is not None and not StageStore(run_dir).done:
            log.removeHandler(handler)
            handler.close()
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        log.removeHandler(handler)
        log.removeHandler(terminal)
        handler.close()


# the building blocks live in the modules named for them; importing them from here keeps older scripts working
__all__ = ["RunResult", "build_setup", "composite", "make_render_fn", "render_first_frame", "resolve_device", "run"]

