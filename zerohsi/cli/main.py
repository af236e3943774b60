"""The `zerohsi` command line: a thin layer over the Python API.

User errors (``UserError``) print one line and exit 2; unexpected errors show their traceback only with --debug.
Each command group lives in its own import-light module under ``zerohsi/cli/``.
"""

from __future__ import annotations

# Before anything imports torch: OpenMP reads its waiting policy once, when torch loads it (see zerohsi/threads.py).
from zerohsi.threads import configure_environment

configure_environment()

import importlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402

import zerohsi  # noqa: E402
from zerohsi.errors import UserError  # noqa: E402

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

app = typer.Typer(
    name="zerohsi",
    help="Zero-shot 4D human-scene interaction: scene + prompt -> video -> 4D motion.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: command groups: (module under zerohsi.cli, group name or None for top-level commands)
GROUPS = [
    ("core", None),
    ("run", None),
    ("splat", "splat"),
    ("avatar", "avatar"),
    ("motion", "motion"),
    ("scenes", "scenes"),
    ("cache", "cache"),
    ("outputs", None),
    ("bench", None),
]


def _flags_without_value_types() -> None:
    """Typer's rich help prints ``<bool>`` after on/off flags (``--json <bool>``), which reads as if they took a
    value (``--json true`` is an error). A flag takes none, so show no type for it."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "_zerohsi_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)

    display_type_rich._zerohsi_flags = True
    TyperOption.display_type_rich = display_type_rich


_flags_without_value_types()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zerohsi {zerohsi.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                           help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for unexpected errors."),
) -> None:
    if debug:
        os.environ["ZEROHSI_DEBUG"] = "1"


def _mount() -> None:
    for module_name, group in GROUPS:
        try:
            module = importlib.import_module(f"zerohsi.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"zerohsi.cli.{module_name}":
                continue  # command group not built yet
            raise
        if group is None:
            module.register(app)
        else:
            app.add_typer(module.app, name=group)


_mount()


def main(argv: list[str] | None = None) -> int:
    """Console entry point: runs the app and turns errors into exit codes."""
    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int) and rv:  # a command's typer.Exit(code), returned (not raised) by click here
            return rv
    except UserError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted; resume with `zerohsi run --resume RUN_DIR`")
        return 130
    except Exception as exc:  # noqa: BLE001
        if callable(getattr(exc, "format_message", None)) and isinstance(getattr(exc, "exit_code", None), int):
            # a usage error from the command-line parser (exit code 2): one line, pointing at the command's help
            ctx = getattr(exc, "ctx", None)
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            message = " ".join(exc.format_message().split()).rstrip(".")
            err_console.print(f"[bold red]error:[/] {message}{where}.", markup=True, highlight=False)
            return exc.exit_code
        if os.environ.get("ZEROHSI_DEBUG"):
            raise
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
                          "Re-run with --debug for the traceback and report it.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
