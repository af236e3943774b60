"""A benchmark sweep: instances × seeds × method variants, each a pipeline run in its own folder.

Each run writes only inside its folder (``<out>/<variant>/<instance>/seed<k>/``) and ends with a ``record.json``: the
tidy row of that run (status, error, metrics, skipped metrics, provenance, setup label, timings, config hash). The
run itself computes the metrics (the harness passes its metric list into the run's config), so the run folder's
metrics.json and report hold them too. A finished run is skipped on ``--resume``; a failing run is recorded as failed
and the sweep goes on.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from zerohsi.errors import UserError
from zerohsi.io import atomic_write_json, atomic_write_text

RECORD = "record.json"

#: run_fn(config: RunConfig, run_dir: Path, resume: bool) -> RunResult-like (``.metrics``, ``.timings``, ``.motion``)
RunFn = Callable[[Any, Path, bool], Any]


@dataclass
class Variant:
    """A method variant: a preset plus overrides (``zerohsi`` full, ``wo_opt_body``, ...)."""

    name: str
    preset: str
    overrides: list[str] = field(default_factory=list)
    plugins: dict[str, str] = field(default_factory=dict)


@dataclass
class RunSpec:
    """One run of a sweep (plain data: it travels to remote workers)."""

    suite: str
    instance: str
    seed: int
    variant: Variant
    run_dir: str
    resume: bool = False
    dynamic: Optional[bool] = None
    extra_overrides: list[str] = field(default_factory=list)
    scene: Optional[str] = None
    #: metrics the run computes (passed as its config's ``metrics``; empty: what the preset says)
    metrics: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.variant.name}/{self.instance}/seed{self.seed}"


def ablation_variant(name: str, base_overrides: Iterable[str] = (), plugins: Optional[dict] = None,
                     preset: Optional[str] = None) -> Variant:
    """``wo_opt_body`` -> the preset ``ablations/wo_opt_body``; with ``preset`` (the sweep's), that preset with the
    ablation file's own settings on top, so ``--preset fast --ablation wo_opt_body`` ablates the fast setup."""
    if preset is None:
        return Variant(name, f"ablations/{name}", list(base_overrides), dict(plugins or {}))
    from zerohsi.config.loader import preset_layers
    from zerohsi.errors import ConfigError

    try:
        changes = preset_layers(f"ablations/{name}")[-1]  # the ablation's own layer, without what it extends
    except ConfigError:  # an unknown ablation: its runs are recorded as failed, the sweep goes on
        return Variant(name, f"ablations/{name}", list(base_overrides), dict(plugins or {}))
    return Variant(name, preset, [*_dotlist(changes), *base_overrides], dict(plugins or {}))


def _dotlist(tree: dict, prefix: str = "") -> list[str]:
    """A nested mapping as dot-list overrides (lists and scalars as YAML/JSON values)."""
    import json

    out = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _dotlist(value, f"{path}.")
        else:
            out.append(f"{path}={json.dumps(value)}")
    return out


def plan(suite: str, instances: list[tuple], seeds: Iterable[int], variants: list[Variant],
         out_dir: Path, resume: bool = False, extra_overrides: Iterable[str] = (),
         metrics: Iterable[str] = ()) -> list[RunSpec]:
    """Every (variant, instance, seed) combination; instances are (name, dynamic[, scene]) tuples."""
    out_dir = Path(out_dir)
    seeds = list(seeds)
    specs = []
    for v in variants:
        for name, dynamic, *scene in instances:
            for seed in seeds:
                specs.append(RunSpec(suite, name, int(seed), v, str(out_dir / v.name / name / f"seed{seed}"),
                                     resume, dynamic, list(extra_overrides), scene[0] if scene else None,
                                     list(metrics)))
    return specs


def run_config(spec: RunSpec):
    """The RunConfig of one run: the variant's preset and overrides, then the instance and seed."""
    from zerohsi.config import load_config

    metrics = [f"metrics=[{','.join(spec.metrics)}]"] if spec.metrics else []
    overrides = [*metrics, *spec.variant.overrides, *spec.extra_overrides, f"seed={spec.seed}",
                 f"instance.suite={spec.suite}", f"instance.name={spec.instance}",
                 f"run_name={spec.instance}_seed{spec.seed}"]
    return load_config(spec.variant.preset, overrides, spec.variant.plugins or None)


def pipeline_run(cfg, run_dir: Path, resume: bool):
    from zerohsi.pipeline import run

    return run(cfg, run_dir=run_dir, resume=resume, progress=False, log_wandb=False)  # the sweep logs records


def finished_record(run_dir: Path) -> Optional[dict[str, Any]]:
    """The record of a run that finished successfully, else None."""
    import json

    path = Path(run_dir) / RECORD
    if not path.is_file():
        return None
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return rec if rec.get("status") == "ok" else None


def execute(spec: RunSpec, run_fn: Optional[RunFn] = None) -> dict[str, Any]:
    """Run one spec (or return its finished record on resume) and write its record.json."""
    run_dir = Path(spec.run_dir)
    if spec.resume:
        done = finished_record(run_dir)
        if done is not None:
            return {**done, "skipped": True}
    rec: dict[str, Any] = {"method": "zerohsi", "variant": spec.variant.name, "instance": spec.instance,
                           "seed": spec.seed, "suite": spec.suite, "dynamic": spec.dynamic, "scene": spec.scene,
                           "run_dir": str(run_dir),
                           "status": "failed", "error": None, "metrics": {}, "timings": {}, "config_hash": None}
    start = time.perf_counter()
    try:
        cfg = run_config(spec)
        from zerohsi.provenance import config_hash

        rec["config_hash"] = config_hash(cfg)
        run_dir.mkdir(parents=True, exist_ok=True)
        resume = spec.resume and (run_dir / "config.yaml").exists()
        result = (run_fn or pipeline_run)(cfg, run_dir, resume)
        rec["metrics"] = {k: float(v) for k, v in (getattr(result, "metrics", None) or {}).items()}
        _add_run_metrics(rec, run_dir, spec.variant.preset)
        rec["timings"] = {k: float(v) for k, v in (getattr(result, "timings", None) or {}).items()}
        motion = getattr(result, "motion", None)
        if motion is not None and not (run_dir / "motion.npz").exists():
            motion.save(run_dir / "motion.npz")
        rec["status"] = "ok"
    except UserError as exc:
        rec["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - one failing run must not stop the sweep
        rec["error"] = f"{type(exc).__name__}: {exc}"
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / "error.txt", traceback.format_exc())
    rec["wall_s"] = time.perf_counter() - start
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / RECORD, rec)
    return rec


def _add_run_metrics(rec: dict[str, Any], run_dir: Path, preset: str) -> None:
    """Copy the run's own evaluation (metrics.json: values, skipped metrics with reasons, provenance) into its
    record, with the label of its setup: the tables put only runs of the paper's setup in the "ours" rows."""
    import json

    from zerohsi.provenance import setup_label

    path = run_dir / "metrics.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    if isinstance(data.get("values"), dict):
        rec["metrics"].update({k: float(v) for k, v in data["values"].items() if isinstance(v, (int, float))})
        rec["skipped_metrics"] = dict(data.get("skipped") or {})
    prov = {**(data.get("run") or {}), "preset": preset}
    rec["provenance"] = prov
    rec["paper_setup"], rec["setup_label"] = setup_label(prov, preset)


@dataclass
class SweepResult:
    records: list[dict[str, Any]]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") != "ok"]


def run_sweep(specs: list[RunSpec], executor=None, run_fn: Optional[RunFn] = None,
              on_record: Optional[Callable[[dict], None]] = None) -> SweepResult:
    """Run every spec through ``executor`` (local by default), collecting records in spec order."""
    if executor is None:
        from zerohsi.bench.executors.local import LocalExecutor

        executor = LocalExecutor()
    by_key: dict[str, dict] = {}
    for spec, rec in executor.map(execute, specs, run_fn):
        by_key[spec.key] = rec
        if on_record is not None:
            on_record(rec)
    return SweepResult([by_key[s.key] for s in specs if s.key in by_key])


def check_out_dir(out_dir: Path, resume: bool) -> None:
    """Refuse to mix a new sweep into a folder holding another one's runs (unless resuming it)."""
    if not resume and any(Path(out_dir).glob(f"*/*/*/{RECORD}")):
        raise UserError(f"'{out_dir}' already holds benchmark runs; pass --resume to continue them or choose "
                        "another --out.")


def spec_to_dict(spec: RunSpec) -> dict[str, Any]:
    return asdict(spec)


def iter_records(out_dir: Path) -> Iterator[dict[str, Any]]:
    """Every record.json below a sweep folder."""
    import json

    for path in sorted(Path(out_dir).glob(f"*/*/*/{RECORD}")):
        try:
            yield json.loads(path.read_text())
        except (OSError, ValueError):
            continue
