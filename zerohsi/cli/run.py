"""`zerohsi run CONFIG [overrides]`: every stage into a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def run_command(
    config: Optional[str] = typer.Argument(None, help="Preset name (configs/NAME.yaml) or YAML path; default demo."),
    overrides: Optional[list[str]] = typer.Argument(None, help="Dot-list overrides, e.g. fit.iters=50 seed=2."),
    run_dir: Optional[Path] = typer.Option(None, "--run-dir", help="Run folder (default: output_dir/<name>)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted run folder."),
    plugins: Optional[str] = typer.Option(None, "--plugins", help="Comma-separated component names to use."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """Run the pipeline: first frame -> video -> masks -> cameras -> poses -> fit -> refine -> metrics -> outputs."""
    from zerohsi.config import load_config
    from zerohsi.errors import UserError
    from zerohsi.pipeline import run
    from zerohsi.plugins import resolve_plugin_overrides

    if resume is not None:
        if config is not None or overrides:
            raise UserError("--resume continues a run with its saved config; drop the preset and overrides.")
        result = run(run_dir=resume, resume=True, progress=not quiet)
    else:
        chosen = resolve_plugin_overrides([p.strip() for p in plugins.split(",") if p.strip()]) if plugins else None
        cfg = load_config(config or "demo", overrides or [], chosen)
        result = run(cfg, run_dir=run_dir, progress=not quiet)
    table = Table(title=f"run {result.run_dir}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in sorted(result.metrics.items()):
        table.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    evaluation = (result.extras or {}).get("evaluation")
    for name, reason in sorted((evaluation.skipped if evaluation is not None else {}).items()):
        table.add_row(name, f"skipped: {reason}")
    console.print(table)
    total = sum(result.timings.values())
    console.print(f"finished in {total:.1f} s; artifacts in {result.run_dir}")


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
