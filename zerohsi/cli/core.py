"""`zerohsi plugins` and `zerohsi config ...`."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
config_app = typer.Typer(help="Show and check run configurations.", no_args_is_help=True)


def plugins(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List every plugin and the components it registered (name, role, distribution, version, status)."""
    from zerohsi.plugins import get_host

    host = get_host()
    if as_json:
        out = {
            "plugins": [p.as_dict() for p in host.plugins.values()],
            "components": [
                {"role": e.role, "name": e.name, "description": e.description, "plugin": e.plugin,
                 "distribution": e.distribution, "version": e.version} for e in host.entries()
            ],
        }
        typer.echo(json.dumps(out, indent=2))
        return
    table = Table(title="zerohsi components")
    for col in ("role", "name", "distribution", "version", "description"):
        table.add_column(col)
    for e in host.entries():
        table.add_row(e.role, e.name, e.distribution, e.version, e.description)
    console.print(table)
    ptable = Table(title="plugins")
    for col in ("plugin", "distribution", "version", "status", "error"):
        ptable.add_column(col)
    for p in host.plugins.values():
        style = "green" if p.status == "ok" else "red"
        ptable.add_row(p.name, p.distribution, p.version, f"[{style}]{p.status}[/]", p.error or "")
    console.print(ptable)


@config_app.command("show")
def config_show(
    preset: str = typer.Argument("demo", help="Preset name (configs/NAME.yaml) or a YAML path."),
    overrides: Optional[list[str]] = typer.Argument(None, help="Dot-list overrides, e.g. fit.iters=50."),
    plugins_: Optional[str] = typer.Option(None, "--plugins", help="Comma-separated component names."),
) -> None:
    """Print the resolved configuration of a preset with overrides."""
    from zerohsi.config import load_config, to_yaml
    from zerohsi.plugins import resolve_plugin_overrides
    from zerohsi.preflight import component_problems, range_problems, report

    chosen = resolve_plugin_overrides(_split(plugins_)) if plugins_ else None
    cfg = load_config(preset, overrides or [], chosen)
    # the same checks of keys, values and component options as `run` (requirements such as API keys excepted)
    report(range_problems(cfg) + component_problems(cfg, requirements=False), "This config is invalid")
    typer.echo(to_yaml(cfg), nl=False)


@config_app.command("presets")
def config_presets() -> None:
    """List the preset names."""
    from zerohsi.config import list_presets

    for name in list_presets():
        typer.echo(name)


def _split(s: str | None) -> list[str]:
    return [p.strip() for p in (s or "").split(",") if p.strip()]


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
    app.add_typer(config_app, name="config")
