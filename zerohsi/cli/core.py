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


plugins_app = typer.Typer(help="List the installed components, or show one's options and what it needs.",
                          invoke_without_command=True)
STATUS_STYLE = {"ready": "green", "missing": "yellow", "loaded": "cyan"}


@plugins_app.callback()
def plugins(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List every plugin and the components it registered (role, name, status, distribution, version).

    A component's status is "ready" when what it needs is present (API keys, weights, model files), "missing" (with
    what is missing) when not, "loaded" when it imported but cannot say.
    """
    if ctx.invoked_subcommand is not None:
        return
    from zerohsi.plugins import get_host
    from zerohsi.plugins.describe import describe

    host = get_host()
    components = [describe(e) for e in host.entries()]
    if as_json:
        typer.echo(json.dumps({"plugins": [p.as_dict() for p in host.plugins.values()], "components": components},
                              indent=2, default=str))
        return
    table = Table(title="zerohsi components (`zerohsi plugins show NAME` lists a component's options)")
    for col in ("role", "name", "status", "distribution", "version", "description"):
        table.add_column(col)
    for c in components:
        style = STATUS_STYLE[c["status"]]
        table.add_row(c["role"], c["name"], f"[{style}]{c['status']}[/]", c["distribution"], c["version"],
                      c["description"])
    console.print(table)
    needs = [c for c in components if c["missing"]]
    if needs:
        console.print("[bold]not ready:[/]")
        for c in needs:
            for sentence in c["missing"]:
                console.print(f"  {c['role']} {c['name']}: {sentence}", markup=False)
    ptable = Table(title="plugins")
    for col in ("plugin", "distribution", "version", "status", "error"):
        ptable.add_column(col)
    for p in host.plugins.values():
        style = "green" if p.status == "ok" else "red"
        ptable.add_row(p.name, p.distribution, p.version, f"[{style}]{p.status}[/]", p.error or "")
    console.print(ptable)


@plugins_app.command("show")
def plugins_show(
    name: str = typer.Argument(..., help="A component name, e.g. kling or scene_difference."),
    role: Optional[str] = typer.Option(None, "--role", help="Only the component of this role (when a name is "
                                       "registered in several)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every option of a component (type, default, what it does), and whether it is ready to run."""
    from zerohsi.errors import UserError
    from zerohsi.plugins import get_host
    from zerohsi.plugins.describe import describe
    from zerohsi.plugins.registry import unknown_name_message

    host = get_host()
    hits = [e for e in host.find(name) if role is None or e.role == role]
    if not hits:
        available = sorted({e.name for e in host.entries() if role is None or e.role == role})
        raise UserError(unknown_name_message(role or "component", name, available))
    found = [describe(e) for e in hits]
    if as_json:
        typer.echo(json.dumps(found if len(found) > 1 else found[0], indent=2, default=str))
        return
    for c in found:
        _print_component(c)


def _print_component(c: dict) -> None:
    from zerohsi.config.schema import ROLE_FIELDS

    console.print(f"[bold]{c['role']} {c['name']}[/] — {c['description']}")
    console.print(f"from {c['distribution']} {c['version']} (plugin '{c['plugin']}')", markup=False)
    style = STATUS_STYLE[c["status"]]
    console.print(f"status: [{style}]{c['status']}[/]")
    for sentence in c["missing"]:
        console.print(f"  - {sentence}", markup=False)
    if not c["options"]:
        console.print("takes no options")
        return
    table = Table(title=f"options of {c['name']}")
    for col in ("option", "type", "default", "doc"):
        table.add_column(col, overflow="fold")
    for o in c["options"]:
        default = "(required)" if o["required"] else json.dumps(o["default"], default=str)
        table.add_row(o["name"], o["type"], default, o["doc"])
    console.print(table)
    field_path = ROLE_FIELDS.get(c["role"])
    if field_path and c["role"] != "render_backend":
        console.print(f"set one with {field_path}.name={c['name']} {field_path}.options.OPTION=VALUE", markup=False)


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
    app.add_typer(plugins_app, name="plugins")
    app.add_typer(config_app, name="config")
