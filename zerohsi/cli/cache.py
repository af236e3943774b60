"""`zerohsi cache list|clear`: the shared video cache (paid videos live here; clearing them means paying again)."""

from __future__ import annotations

import time
from typing import Optional

import typer

app = typer.Typer(help="Inspect or clear the video cache (default ~/.cache/zerohsi, env ZEROHSI_CACHE_DIR).",
                  no_args_is_help=True)

_DIR = typer.Option(None, "--cache-dir", help="Cache folder (default: $ZEROHSI_CACHE_DIR or ~/.cache/zerohsi).")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@app.command("list")
def list_cmd(cache_dir: Optional[str] = _DIR) -> None:
    """List cached videos, newest first."""
    from rich.console import Console
    from rich.table import Table

    from zerohsi.video.cache import list_entries, list_in_flight, resolve_cache_dir

    entries = list_entries(cache_dir)
    console = Console()
    pending = list_in_flight(cache_dir)
    if pending:
        inflight = Table(title="in flight (paid tasks not yet downloaded; the next run picks them up)")
        for col in ("key", "saved files", "started"):
            inflight.add_column(col, no_wrap=True)
        for p in pending:
            files = ", ".join(sorted(f.name for f in p.iterdir())) or "-"
            inflight.add_row(p.name.removeprefix(".pending-")[:12], files,
                             time.strftime("%m-%d %H:%M", time.localtime(p.stat().st_mtime)))
        console.print(inflight)
    if not entries:
        console.print(f"no cached videos in {resolve_cache_dir(cache_dir)}")
        return
    table = Table(title=f"video cache: {resolve_cache_dir(cache_dir)}")
    for col in ("key", "generator", "model", "prompt", "seed", "frames", "size", "created"):
        table.add_column(col, no_wrap=col in ("key", "generator", "seed", "size"))
    for e in entries:
        prov = e.meta.get("provenance", {})
        prompt = str(prov.get("prompt", ""))
        table.add_row(e.key[:12], str(prov.get("generator", "?")), str(prov.get("model", "")),
                      prompt if len(prompt) <= 40 else prompt[:37] + "...", str(prov.get("seed", "")),
                      f"{e.meta.get('native_frames', '?')}@{e.meta.get('native_fps', 0):g}fps",
                      _size(e.size_bytes()),
                      time.strftime("%m-%d %H:%M", time.localtime(float(e.meta.get("created", 0)))))
    console.print(table)


@app.command("clear")
def clear_cmd(
    cache_dir: Optional[str] = _DIR,
    generator: Optional[str] = typer.Option(None, "--generator", help="Only entries of this generator."),
    older_than_days: Optional[float] = typer.Option(None, "--older-than-days", help="Only entries older than this."),
    key: Optional[list[str]] = typer.Option(None, "--key", help="Only entries whose key starts with this."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation of deleting finished videos."),
    in_flight: bool = typer.Option(False, "--in-flight", help="Also forget paid tasks still in flight (with --key: "
                                   "only those); asks its own confirmation, even with --yes."),
    yes_in_flight: bool = typer.Option(False, "--yes-in-flight", help="Confirm --in-flight without asking."),
) -> None:
    """Delete cached videos (all by default). Paid videos deleted here cost money to generate again. Paid tasks
    still in flight are kept unless --in-flight is given and confirmed."""
    from zerohsi.video.cache import clear, list_entries, list_in_flight

    older = None if older_than_days is None else older_than_days * 86400.0
    if not yes:
        n = len(list_entries(cache_dir))
        if n and not typer.confirm(f"Delete matching entries among {n} cached videos?"):
            raise typer.Abort()
    pending = list_in_flight(cache_dir, key or None)
    forget = in_flight and bool(pending)
    if forget and not yes_in_flight and not typer.confirm(
            f"Forget {len(pending)} paid task(s) still in flight? Their videos will be bought again."):
        raise typer.Abort()
    removed = clear(cache_dir, generator=generator, older_than_s=older, keys=key or None, in_flight=forget)
    typer.echo(f"removed {len(removed)} cached video(s)" + (f", forgot {len(pending)} in-flight task(s)" if forget
                                                           else ""))
    kept = len(pending) if not forget else 0
    if kept:
        typer.echo(f"kept {kept} paid task(s) still in flight (see `zerohsi cache list`; --in-flight forgets them)")
