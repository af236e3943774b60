"""Weights & Biases logging of a sweep: one W&B run per benchmark run (scalars, timings, loss curves, the overlay
video) and a summary table, grouped by instance and method.

Offline by default: nothing leaves the machine unless the user sets WANDB_MODE=online. Without ``wandb`` installed
every call is a no-op (with one warning).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("zerohsi")


def wandb_mode() -> str:
    mode = os.environ.get("WANDB_MODE", "offline").strip().lower()
    return mode if mode in {"offline", "online", "disabled", "dryrun", "run"} else "offline"


class SweepLogger:
    def __init__(self, out_dir: Path, group: str, project: str = "zerohsi") -> None:
        self.out_dir, self.group, self.project = Path(out_dir), group, project
        try:
            import wandb
        except ImportError:
            log.warning("wandb is not installed; W&B logging is off (pip install 'zerohsi[wandb]').")
            self.wandb = None
            return
        self.wandb = wandb
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def _init(self, name: str, job_type: str, config: dict[str, Any]):
        return self.wandb.init(project=self.project, group=self.group, job_type=job_type, name=name,
                               dir=str(self.out_dir), mode=wandb_mode(), config=config, reinit="finish_previous")

    def log_run(self, rec: dict[str, Any]) -> None:
        """Scalars (metrics, timings), per-iteration losses from ``losses.json`` and the overlay mp4 of one run."""
        if self.wandb is None or rec.get("skipped"):
            return
        name = f"{rec.get('variant')}/{rec.get('instance')}/seed{rec.get('seed')}"
        cfg = {k: rec.get(k) for k in ("method", "variant", "instance", "seed", "dynamic", "config_hash")}
        run = self._init(name, rec.get("instance") or "run", cfg)
        try:
            run_dir = Path(rec.get("run_dir", ""))
            losses = run_dir / "losses.json"
            if losses.is_file():
                for curve, values in loss_curves(json.loads(losses.read_text())).items():
                    table = self.wandb.Table(columns=["step", "value"], data=[[i, v] for i, v in enumerate(values)])
                    run.log({f"loss/{curve}": self.wandb.plot.line(table, "step", "value", title=curve)})
            scalars = {f"metric/{k}": v for k, v in (rec.get("metrics") or {}).items()}
            scalars.update({f"time/{k}": v for k, v in (rec.get("timings") or {}).items()})
            scalars["status_ok"] = float(rec.get("status") == "ok")
            videos = sorted(run_dir.glob("*overlay*.mp4")) if run_dir.is_dir() else []
            if videos:
                scalars["overlay"] = self.wandb.Video(str(videos[0]), format="mp4")
            run.log(scalars)
            run.summary.update({k: v for k, v in scalars.items() if isinstance(v, (int, float))})
        finally:
            run.finish()

    def log_summary(self, rows: list[dict[str, Any]]) -> None:
        """The sweep's tidy table as one W&B table."""
        if self.wandb is None or not rows:
            return
        cols = sorted({k for r in rows for k in r})
        run = self._init("summary", "summary", {"runs": len(rows)})
        try:
            run.log({"results": self.wandb.Table(columns=cols, data=[[_cell(r.get(c)) for c in cols] for r in rows])})
        finally:
            run.finish()

    def finish(self) -> None:
        pass


def loss_curves(obj: Any, prefix: str = "") -> dict[str, list[float]]:
    """Loss histories of any nesting -> one curve per dict path; nested lists (e.g. per frame, per iteration) are
    concatenated in order. ``{"fit": [[1, .5], [.9]]}`` -> ``{"fit": [1, .5, .9]}``."""
    curves: dict[str, list[float]] = {}

    def walk(x: Any, path: str) -> None:
        if isinstance(x, bool):
            return
        if isinstance(x, (int, float)):
            curves.setdefault(path or "loss", []).append(float(x))
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{path}/{k}" if path else str(k))
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v, path)

    walk(obj, prefix)
    return curves


def _cell(v: Any) -> Any:
    return v if v is None or isinstance(v, (int, float, str, bool)) else str(v)
