"""`zerohsi bench` as a Python function: plan a sweep, run it, score diversity, write the table and the paper tables."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from zerohsi.bench.sweep import RunFn, Variant, ablation_variant, check_out_dir, plan, run_config, run_sweep
from zerohsi.errors import UserError

log = logging.getLogger("zerohsi")


@dataclass
class BenchReport:
    records: list[dict[str, Any]]
    tables: list[Any]
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") != "ok"]


class SweepProgress:
    """Runs done / total, the estimated time left and the run now in progress (executors run the specs in order)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = list(keys)
        self.done: set[str] = set()
        self.start = time.perf_counter()
        self._ran = 0  # runs that really ran (resumed ones finish at once and would skew the ETA)
        self._ran_s = 0.0

    @property
    def total(self) -> int:
        return len(self.keys)

    def finished(self, rec: dict[str, Any]) -> None:
        self.done.add(f"{rec.get('variant')}/{rec.get('instance')}/seed{rec.get('seed')}")
        if not rec.get("skipped"):
            self._ran += 1
            self._ran_s += float(rec.get("wall_s") or 0.0)

    @property
    def current(self) -> Optional[str]:
        """The next run not finished yet: the one a sequential executor is running now."""
        return next((k for k in self.keys if k not in self.done), None)

    @property
    def eta_s(self) -> Optional[float]:
        left = self.total - len(self.done)
        if not self._ran:
            return None
        return left * self._ran_s / self._ran

    def line(self) -> str:
        eta = self.eta_s
        parts = [f"{len(self.done)}/{self.total} runs done"]
        if eta is not None and len(self.done) < self.total:
            parts.append(f"ETA {_duration(eta)}")
        if self.current:
            parts.append(f"running {self.current}")
        return ", ".join(parts)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def suite_instances(suite: str, only: Optional[Iterable[str]] = None) -> list[tuple[str, Optional[bool], str]]:
    """(instance name, is dynamic, scene) of the suite's instances, optionally only ``only`` (in that order)."""
    from zerohsi.scenes.suite import load_suite

    s = load_suite(suite)
    items = getattr(s, "instances", s)
    items = list(items.values()) if isinstance(items, dict) else list(items)
    found = {i.name: (_is_dynamic(i), getattr(i, "scene", None)) for i in items}
    if not only:
        return [(n, *v) for n, v in found.items()]
    wanted = list(only)
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise UserError(f"Suite '{suite}' has no instance '{unknown[0]}'; available: {', '.join(sorted(found))}.")
    return [(n, *found[n]) for n in wanted]


def _is_dynamic(inst: Any) -> Optional[bool]:
    if hasattr(inst, "dynamic"):
        return bool(inst.dynamic)
    if hasattr(inst, "object"):
        return inst.object is not None and inst.object != ""
    return None


def add_diversity(records: list[dict[str, Any]], host=None) -> None:
    """Fill ``metrics['diversity']`` of each successful run: mean per-joint distance to the other seeds' motions of
    the same (method, variant, instance), posed with the body model the motions were saved with."""
    from zerohsi.metrics.diversity import pairwise_joint_distance
    from zerohsi.metrics.posed import pose_motion
    from zerohsi.motion import Motion

    groups: dict[tuple, list[dict]] = defaultdict(list)
    for rec in records:
        if rec.get("status") == "ok" and (Path(rec["run_dir"]) / "motion.npz").is_file():
            groups[(rec.get("method"), rec.get("variant"), rec.get("instance"))].append(rec)
    bodies: dict[str, Any] = {}
    for recs in groups.values():
        if len(recs) < 2:
            continue
        motions = [Motion.load(Path(r["run_dir"]) / "motion.npz") for r in recs]
        name = motions[0].body_model
        try:
            if name not in bodies:
                from zerohsi.plugins import get_host

                bodies[name] = (host or get_host()).build("body_model", name)
            body = bodies[name]
            from zerohsi.body.params import core_joints

            joints = [core_joints(body, pose_motion(m, body).joints) for m in motions]
        except UserError as exc:
            log.warning("diversity skipped for %s: %s", recs[0].get("instance"), exc)
            continue
        for i, rec in enumerate(recs):
            others = [pairwise_joint_distance(joints[i], joints[j]) for j in range(len(recs)) if j != i]
            rec.setdefault("metrics", {})["diversity"] = sum(others) / len(others)
            (rec.get("skipped_metrics") or {}).pop("diversity", None)


def _wandb_section(specs) -> Any:
    """The sweep's ``wandb`` config section (the same for every run: overrides apply to all), or None."""
    for spec in specs:
        try:
            return run_config(spec).wandb
        except UserError:  # a broken variant is recorded as failed when it runs; the others still say
            continue
    return None


def run_bench(*, out_dir: Path, suite: str = "anyinteraction", instances: Optional[Iterable[str]] = None,
              seeds: int | Iterable[int] = 5, preset: str = "paper", ablations: Iterable[str] = (),
              plugins: Optional[dict[str, str]] = None, overrides: Iterable[str] = (), executor: str = "local",
              executor_options: Optional[dict] = None, resume: bool = False, run_fn: Optional[RunFn] = None,
              wandb: bool = False, paper_tables: Optional[dict] = None, include_full: bool = True,
              baseline_records: Iterable[dict[str, Any]] = (), progress=None,
              metrics: Optional[Iterable[str]] = None, figures: bool = True) -> BenchReport:
    """Run the sweep and write results.{csv,json[,parquet]}, tables.{md,tex}, table*.png into ``out_dir``.

    Variants: the preset itself (variant ``zerohsi``) unless ``include_full`` is False, plus one per ablation name
    (preset ``ablations/<name>``). ``run_fn`` replaces the pipeline (tests inject a fake one). ``metrics``: what
    each run computes (default: every registered metric, :func:`zerohsi.metrics.evaluate.default_metrics`; one whose
    inputs or weights are missing is recorded as skipped with its reason); diversity is computed across seeds
    afterwards. ``progress(rec, done, total, eta_s)`` is called after each run.
    """
    from zerohsi.bench.results import tidy_rows, write_results
    from zerohsi.bench.tables import build_tables, write_tables
    from zerohsi.metrics.evaluate import default_metrics
    from zerohsi.plugins import get_host
    from zerohsi.provenance import provenance

    out_dir = Path(out_dir)
    check_out_dir(out_dir, resume)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not seed_list:
        raise UserError("--seeds must be at least 1.")
    variants: list[Variant] = [Variant("zerohsi", preset, [], dict(plugins or {}))] if include_full else []
    variants += [ablation_variant(a, plugins=plugins, preset=preset) for a in ablations]
    if not variants:
        raise UserError("Nothing to run: enable the full method or name an --ablation.")
    host = get_host()
    metric_names = list(default_metrics(host) if metrics is None else metrics)
    for name in metric_names:
        host.get("metric", name)  # an unknown name stops here, before any hour-long run
    specs = plan(suite, suite_instances(suite, instances), seed_list, variants, out_dir, resume, overrides,
                 metric_names)
    if run_fn is None:  # a missing key or model file stops the sweep here, not in each of its runs
        from zerohsi.bench.sweep import run_config
        from zerohsi.preflight import check_sweep

        check_sweep([run_config(s) for s in specs], out_dir)
    ex = host.build("executor", executor, executor_options)
    logger = None
    wandb_cfg = _wandb_section(specs)
    if wandb or (wandb_cfg is not None and wandb_cfg.enabled):  # --wandb or the config's wandb.enabled: one switch
        from zerohsi.wandb_log import WandbLogger, wandb_settings

        logger = WandbLogger(wandb_settings(wandb_cfg, group=out_dir.name), out_dir)

    tracker = SweepProgress([s.key for s in specs])
    if progress is not None:
        progress(None, tracker)

    def on_record(rec: dict[str, Any]) -> None:
        tracker.finished(rec)
        if progress is not None:
            progress(rec, tracker)
        if logger is not None and not rec.get("skipped"):
            logger.log_run(rec["run_dir"], name=f"{rec.get('variant')}/{rec.get('instance')}/seed{rec.get('seed')}",
                           job_type=str(rec.get("instance") or "run"), record=rec)

    sweep = run_sweep(specs, ex, run_fn, on_record=on_record)
    records = [*sweep.records, *baseline_records]
    add_diversity(records)
    prov = provenance()
    paths = write_results(records, out_dir, prov)
    tables = build_tables(tidy_rows(records), paper_tables)
    paths.update(write_tables(tables, out_dir, figures=figures))
    if logger:
        logger.log_summary(tidy_rows(records))
    return BenchReport(records, tables, paths)
