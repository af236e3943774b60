"""`zerohsi bench`: benchmark sweeps, the paper's tables, and baseline inputs/outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

bench_app = typer.Typer(help="Run a benchmark sweep and print the paper's tables beside ours.",
                        invoke_without_command=True, no_args_is_help=False)


def _split(s: Optional[str]) -> list[str]:
    return [p.strip() for p in (s or "").split(",") if p.strip()]


def _options(items: Optional[list[str]]) -> Optional[dict]:
    """key=value pairs -> a dict with YAML-typed values (numbers, booleans, null)."""
    if not items:
        return None
    import yaml

    from zerohsi.errors import UserError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"Executor option '{item}' must look like key=value, e.g. address=auto.")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else None
    return out


@bench_app.callback()
def bench(
    ctx: typer.Context,
    suite: str = typer.Option("anyinteraction", "--suite", help="Benchmark suite (e.g. anyinteraction-lite)."),
    instances: Optional[str] = typer.Option(None, "--instances", help="Comma-separated instance names (all)."),
    seeds: int = typer.Option(5, "--seeds", min=1, help="Seeds per instance (0..N-1)."),
    plugins: Optional[str] = typer.Option(None, "--plugins", help="Components replacing role defaults."),
    preset: str = typer.Option("paper", "--preset", help="Config preset of the full method."),
    ablation: Optional[list[str]] = typer.Option(None, "--ablation", help="Ablation preset(s): wo_opt_body, ..."),
    only_ablations: bool = typer.Option(False, "--only-ablations", help="Skip the full method's runs."),
    executor: str = typer.Option("local", "--executor", help="Sweep executor: local | ray | submitit | ..."),
    executor_set: Optional[list[str]] = typer.Option(None, "--executor-set",
                                                     help="Executor option key=value, e.g. address=auto."),
    resume: bool = typer.Option(False, "--resume", help="Continue a sweep; finished runs are skipped."),
    out: Path = typer.Option(Path("runs/bench"), "--out", help="Sweep folder."),
    wandb: bool = typer.Option(False, "--wandb", help="Log every run to W&B, grouped by sweep (as --set "
                               "wandb.enabled=true; offline unless wandb.mode or WANDB_MODE says online)."),
    overrides: Optional[list[str]] = typer.Option(None, "--set", help="Config override for every run, key=value."),
    metrics: Optional[str] = typer.Option(None, "--metrics", help="Comma-separated metrics (default: all that "
                                          "apply; CLIP ones need ZEROHSI_CLIP_WEIGHTS)."),
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console

    from zerohsi.bench.harness import run_bench
    from zerohsi.bench.tables import to_markdown
    from zerohsi.plugins import resolve_plugin_overrides

    chosen = resolve_plugin_overrides(_split(plugins)) if plugins else None
    ablations = [a for item in (ablation or []) for a in _split(item)]
    console = Console(highlight=False)

    def progress(rec: Optional[dict], tracker) -> None:
        if rec is not None:
            state = "skipped (done)" if rec.get("skipped") else rec.get("status")
            msg = f" {rec['error']}" if rec.get("error") else ""
            wall = f" in {rec['wall_s']:.0f}s" if rec.get("wall_s") and not rec.get("skipped") else ""
            console.print(f"{rec.get('variant')}/{rec.get('instance')}/seed{rec.get('seed')}: {state}{wall}{msg}",
                          markup=False)
        console.print(f"[{tracker.line()}]", markup=False)

    report = run_bench(out_dir=out, suite=suite, instances=_split(instances) or None, seeds=seeds, preset=preset,
                       ablations=ablations, plugins=chosen, overrides=overrides or [], executor=executor,
                       executor_options=_options(executor_set),
                       resume=resume, wandb=wandb, include_full=not only_ablations, progress=progress,
                       metrics=_split(metrics) or None)
    for table in report.tables:
        typer.echo(to_markdown(table))
    ok = len(report.records) - len(report.failed)
    console.print(f"{ok}/{len(report.records)} runs succeeded; results in {out}/results.csv, tables in "
                  f"{out}/tables.md", markup=False)
    if report.failed:
        raise typer.Exit(1)


@bench_app.command("tables")
def tables(sweep: Path = typer.Argument(..., help="A sweep folder (with record.json files).")) -> None:
    """Re-print the paper tables from a finished sweep folder (and rewrite tables.md/.tex/.png)."""
    from zerohsi.bench.harness import add_diversity
    from zerohsi.bench.results import tidy_rows
    from zerohsi.bench.sweep import iter_records
    from zerohsi.bench.tables import build_tables, to_markdown, write_tables
    from zerohsi.errors import UserError

    records = list(iter_records(sweep))
    if not records:
        raise UserError(f"'{sweep}' holds no benchmark runs; give the --out folder of a `zerohsi bench` sweep.")
    add_diversity(records)
    built = build_tables(tidy_rows(records))
    write_tables(built, sweep)
    for t in built:
        typer.echo(to_markdown(t))


@bench_app.command("export-inputs")
def export_inputs(
    sweep: Path = typer.Argument(..., help="A finished sweep folder (its zerohsi runs give the trajectories)."),
    out: Path = typer.Option(Path("runs/baseline_inputs"), "--out", help="Where the inputs are written."),
    variant: str = typer.Option("zerohsi", "--variant", help="Which variant's runs to export."),
) -> None:
    """Write each run's trajectory and goal in LINGO (segment pickle), TRUMANS (npy) and CHOIS (json) input form."""
    from zerohsi.bench.baselines.export import export_inputs as _export

    written = _export(sweep, out, variant=variant)
    typer.echo(f"wrote inputs for {len(written)} runs under {out}")


@bench_app.command("import-baseline")
def import_baseline(
    method: str = typer.Argument(..., help="Baseline importer: trumans | lingo | chois."),
    output: Path = typer.Argument(..., help="The method's output file for one instance and seed."),
    instance: str = typer.Option(..., "--instance", help="Suite instance the output belongs to."),
    seed: int = typer.Option(0, "--seed", help="Seed index of the output."),
    suite: str = typer.Option("anyinteraction", "--suite", help="Benchmark suite."),
    out: Path = typer.Option(Path("runs/bench"), "--out", help="Sweep folder the scored record joins."),
    model_path: Optional[str] = typer.Option(None, "--smplx-model", help="SMPL-X model file (or folder)."),
    preset: str = typer.Option("paper_anny", "--preset", help="Preset whose scene, avatar and image size render "
                               "the baseline (as the sweep's runs)."),
    overrides: Optional[list[str]] = typer.Option(None, "--set", help="Config override for the render setup."),
) -> None:
    """Import a baseline's SMPL-X output, retarget it to our body, render and score it like our runs (CLIP on the
    renders from the matching zerohsi run's cameras) and add it to a sweep's tables."""
    from zerohsi.bench.baselines.scoring import score_baseline

    options = {"model_path": model_path} if model_path else None
    rec = score_baseline(method, output, instance=instance, seed=seed, out_dir=out, suite=suite, options=options,
                         preset=preset, overrides=overrides or [])
    for key, value in sorted(rec["metrics"].items()):
        typer.echo(f"{key}: {value:.4f}")
    for name, reason in sorted(rec["skipped_metrics"].items()):
        typer.echo(f"{name}: skipped ({reason})")
    typer.echo(f"recorded in {rec['run_dir']}; `zerohsi bench tables {out}` shows it beside the paper")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
