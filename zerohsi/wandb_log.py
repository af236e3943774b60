"""Weights & Biases logging of runs and sweeps: one W&B run per zerohsi run.

What a W&B run holds: the resolved config flattened to dotted keys (``fit.iters``, ``video.generator.name``, ...,
so W&B can group and filter by any hyper-parameter) and provenance; live loss curves while ``zerohsi run``
optimises (``<stage>/loss`` against ``<stage>/step``, with the frame and iteration beside them); then, from the
finished run folder, per-iteration losses of every stage and frame (a table per stage with step / frame / iteration
/ loss, plus a line plot), final metrics (``metric/...``, the pre-refinement ones as ``metric/unrefined/...``),
skipped metrics with their reasons, per-stage timings, the source / reconstruction / overlay / orbit videos, and a
per-frame error table when the run has ground truth. A sweep logs each run from its folder and record when it ends.

One switch for ``zerohsi run`` and ``zerohsi bench --wandb``: the config's ``wandb`` section. ``wandb.mode`` and
``wandb.project`` fall back to the usual WANDB_MODE / WANDB_PROJECT environment variables and then to offline mode
and project "zerohsi": nothing leaves the machine unless the user asks. A sweep's runs share a W&B group (the sweep
folder's name unless ``wandb.group`` is set).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from zerohsi.errors import UserError

log = logging.getLogger("zerohsi")

DEFAULT_PROJECT = "zerohsi"
#: W&B's own mode names; "dryrun" is its old name for offline
MODES = {"offline": "offline", "dryrun": "offline", "online": "online", "run": "online", "disabled": "disabled"}
#: run-folder videos logged, key -> file (the reconstruction alone is written by the evaluation stage when present)
RUN_VIDEOS = {"source": "video.mp4", "reconstruction": "reconstruction.mp4", "overlay": "overlay.mp4",
              "orbit": "orbit.mp4"}
#: record fields that identify a benchmark run (logged as config beside the hyper-parameters)
RECORD_KEYS = ("method", "variant", "instance", "seed", "suite", "dynamic", "scene", "config_hash")


@dataclass(frozen=True)
class WandbSettings:
    mode: str  # offline | online | disabled
    project: str
    group: Optional[str] = None

    @property
    def active(self) -> bool:
        return self.mode != "disabled"


def wandb_settings(cfg: Any = None, *, group: Optional[str] = None) -> WandbSettings:
    """The effective settings of a config's ``wandb`` section (or of none): config value, else environment, else
    offline / "zerohsi"; ``group`` (a sweep's) is used when the config names none."""
    raw = (getattr(cfg, "mode", None) or os.environ.get("WANDB_MODE") or "offline").strip().lower()
    if raw not in MODES:
        raise UserError(f"W&B mode '{raw}' is not one of offline, online, disabled; set wandb.mode (or WANDB_MODE) "
                        "to one of them.")
    project = getattr(cfg, "project", None) or os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT
    return WandbSettings(MODES[raw], project, getattr(cfg, "group", None) or group)


def require_wandb():
    """The wandb module, or a UserError saying how to install it (raised before any long run starts)."""
    try:
        import wandb
    except ImportError:
        raise UserError("W&B logging is on but wandb is not installed; run `pip install 'zerohsi[wandb]'` or set "
                        "wandb.enabled=false.") from None
    return wandb


# -- what goes into a W&B run ---------------------------------------------------------------------------------------
def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts (and lists of dicts, e.g. refiners) -> dotted keys; lists of plain values stay lists.
    ``{"fit": {"iters": 3}, "refiners": [{"name": "physics"}]}`` -> ``{"fit.iters": 3, "refiners.0.name": ...}``."""
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        if not obj and prefix:
            out[prefix] = {}
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in obj):
        for i, v in enumerate(obj):
            out.update(flatten(v, f"{prefix}.{i}"))
    else:
        out[prefix] = list(obj) if isinstance(obj, tuple) else obj
    return out


def loss_tables(losses: Any) -> dict[str, list[list[float]]]:
    """losses.json -> stage path -> rows [step, frame, iteration, loss]; a stage is any list of per-frame lists
    (``{"fit": [[1, .5], [.9]]}`` -> ``{"fit": [[0, 0, 0, 1], [1, 0, 1, .5], [2, 1, 0, .9]]}``); chained runs nest
    stages under ``clipK``."""
    out: dict[str, list[list[float]]] = {}

    def walk(x: Any, path: str) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{path}/{k}" if path else str(k))
        elif isinstance(x, list) and x and all(isinstance(f, list) for f in x):
            rows, step = [], 0
            for t, frame in enumerate(x):
                for i, v in enumerate(frame):
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        rows.append([step, t, i, float(v)])
                        step += 1
            if rows:
                out[path or "loss"] = rows

    walk(losses, "")
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def run_config(run_dir: Path) -> dict[str, Any]:
    """The run's resolved config.yaml as flat dotted keys ({} when the folder has none)."""
    import yaml

    path = run_dir / "config.yaml"
    if not path.is_file():
        return {}
    return flatten(yaml.safe_load(path.read_text()) or {})


def run_scalars(run_dir: Path, record: Optional[dict[str, Any]] = None) -> tuple[dict[str, float], dict[str, str]]:
    """(``metric/...`` and ``time/...`` scalars, ``skipped/<metric>`` -> reason) of a run folder and its record."""
    from zerohsi.outputs.report import flatten_metrics

    values, skipped = flatten_metrics(_read_json(run_dir / "metrics.json") or {})
    if record:
        values.update({k: float(v) for k, v in (record.get("metrics") or {}).items() if _is_number(v)})
        skipped.update({str(k): str(v) for k, v in (record.get("skipped_metrics") or {}).items()})
    scalars = {f"metric/{k.replace('.', '/')}": v for k, v in values.items()}
    timings = _read_json(run_dir / "timings.json") or {}
    seconds = timings.get("seconds") if isinstance(timings.get("seconds"), dict) else timings
    scalars.update({f"time/{k}": float(v) for k, v in seconds.items() if _is_number(v)})
    if record:
        scalars.update({f"time/{k}": float(v) for k, v in (record.get("timings") or {}).items() if _is_number(v)})
        if _is_number(record.get("wall_s")):
            scalars["time/wall"] = float(record["wall_s"])
        scalars["status_ok"] = float(record.get("status") == "ok")
    return scalars, {f"skipped/{k}": v for k, v in skipped.items()}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def run_frame_errors(run_dir: Path) -> Optional[tuple[list[str], list[list[float]]]]:
    """(columns, rows) of the per-frame errors against the ground truth, or None when the run has none."""
    if not (run_dir / "ground_truth_motion.npz").is_file() or not (run_dir / "motion.npz").is_file():
        return None
    from zerohsi.outputs.frame_errors import frame_error_rows, frame_errors
    from zerohsi.outputs.run import RunFolder

    run = RunFolder(run_dir)
    try:
        body = run.body_model
    except UserError as exc:  # the pose-free errors still apply
        log.warning("W&B per-frame errors without joint errors: %s", exc)
        body = None
    errors = frame_errors(run.motion, run.ground_truth, body)
    return frame_error_rows(errors) if errors else None


# -- the logger -------------------------------------------------------------------------------------------------------
class WandbLogger:
    """Writes W&B runs under ``save_dir/wandb`` (offline folders unless the settings say online)."""

    def __init__(self, settings: WandbSettings, save_dir: str | os.PathLike) -> None:
        self.settings = settings
        self.save_dir = Path(save_dir)
        self.wandb = require_wandb() if settings.active else None

    def _init(self, name: str, job_type: str, config: dict[str, Any]):
        self.save_dir.mkdir(parents=True, exist_ok=True)
        return self.wandb.init(project=self.settings.project, group=self.settings.group, job_type=job_type,
                               name=name, dir=str(self.save_dir), mode=self.settings.mode, config=config,
                               reinit="finish_previous")

    def start(self, run_dir: str | os.PathLike, *, name: Optional[str] = None, job_type: str = "run",
              record: Optional[dict[str, Any]] = None):
        """Open the W&B run of a run folder (its config.yaml, provenance, a sweep record's identity), or None."""
        if self.wandb is None:
            return None
        run_dir = Path(run_dir)
        config = run_config(run_dir)
        config.update({f"provenance.{k}": v for k, v in flatten(_provenance()).items()})
        if record:
            config.update({k: record.get(k) for k in RECORD_KEYS if k in record})
        return self._init(name or run_dir.name, job_type, config)

    def log_run(self, run_dir: str | os.PathLike, *, name: Optional[str] = None, job_type: str = "run",
                record: Optional[dict[str, Any]] = None, run: Any = None) -> None:
        """Log a finished run folder (and, for a sweep, its record: identity, status, harness metrics) and close
        the W&B run: ``run`` when :meth:`start` opened it already (live losses), else a new one."""
        if self.wandb is None:
            return
        run_dir = Path(run_dir)
        run = run if run is not None else self.start(run_dir, name=name, job_type=job_type, record=record)
        try:
            for row in self._media(run_dir):
                run.log(row)
            scalars, skipped = run_scalars(run_dir, record)
            if record and record.get("error"):
                skipped["error"] = str(record["error"])
            run.log(scalars)
            run.summary.update({**scalars, **skipped})
        finally:
            run.finish()

    def _media(self, run_dir: Path) -> Iterator[dict[str, Any]]:
        wandb = self.wandb
        losses = _read_json(run_dir / "losses.json")
        for stage, rows in loss_tables(losses or {}).items():
            table = wandb.Table(columns=["step", "frame", "iteration", "loss"], data=rows)
            yield {f"losses/{stage}": table,
                   f"loss/{stage}": wandb.plot.line(table, "step", "loss", title=f"{stage} loss per iteration")}
        videos = {f"video/{key}": wandb.Video(str(run_dir / name), format="mp4")
                  for key, name in RUN_VIDEOS.items() if (run_dir / name).is_file()}
        if videos:
            yield videos
        errors = run_frame_errors(run_dir)
        if errors is not None:
            columns, rows = errors
            yield {"frame_errors": wandb.Table(columns=columns, data=rows)}

    def log_summary(self, rows: Iterable[dict[str, Any]]) -> None:
        """A sweep's tidy results as one W&B table, in the sweep's group."""
        rows = list(rows)
        if self.wandb is None or not rows:
            return
        cols = sorted({k for r in rows for k in r})
        run = self._init("summary", "summary", {"runs": len(rows)})
        try:
            run.log({"results": self.wandb.Table(columns=cols, data=[[_cell(r.get(c)) for c in cols] for r in rows])})
        finally:
            run.finish()


def _provenance() -> dict[str, Any]:
    from zerohsi.provenance import provenance

    return provenance()


def _cell(v: Any) -> Any:
    return v if v is None or isinstance(v, (int, float, str, bool)) else str(v)


class LiveLosses:
    """Frame-loop callback: every ``every``-th iteration's loss (and the last of each frame) into an open W&B run,
    as ``<stage>/loss`` over ``<stage>/step`` with ``<stage>/frame`` and ``<stage>/iteration`` beside it; ``every``
    defaults to the loop's own ``log_every`` (the full per-iteration history goes in with the finished folder)."""

    def __init__(self, run: Any, every: Optional[int] = None) -> None:
        self.run, self.every = run, every
        self.steps: dict[str, int] = {}

    def on_sequence_start(self, loop, problem, state, start_frame: int) -> None:
        stage = problem.name
        if stage not in self.steps:
            self.steps[stage] = 0
            self.run.define_metric(f"{stage}/step")
            self.run.define_metric(f"{stage}/*", step_metric=f"{stage}/step")

    def on_step_end(self, loop, problem, state, loss: float, terms: dict) -> None:
        stage = problem.name
        step = self.steps.get(stage, 0)
        self.steps[stage] = step + 1
        every = max(1, int(self.every or getattr(loop, "log_every", 1)))
        if state.iteration % every and state.iteration != problem.num_iters(state.frame) - 1:
            return
        row = {f"{stage}/step": step, f"{stage}/loss": float(loss), f"{stage}/frame": state.frame,
               f"{stage}/iteration": state.iteration}
        row.update({f"{stage}/{k}": float(v) for k, v in terms.items() if _is_number(v)})
        self.run.log(row)


class RunLogging:
    """`zerohsi run`'s W&B session: opened before the stages (live losses), closed with the finished folder."""

    def __init__(self, cfg: Any, run_dir: str | os.PathLike) -> None:
        self.run_dir = Path(run_dir)
        self.logger = WandbLogger(wandb_settings(cfg.wandb), run_dir) if cfg.wandb.enabled else None
        self.run = self.logger.start(run_dir) if self.logger is not None else None

    def callbacks(self) -> list[Any]:
        return [LiveLosses(self.run)] if self.run is not None else []

    def finish(self, ok: bool) -> None:
        if self.run is None:
            return
        if ok:
            self.logger.log_run(self.run_dir, run=self.run)
        else:
            self.run.finish(exit_code=1)
        self.run = None
