"""`zerohsi export`, `zerohsi view` and `zerohsi report`: what users look at and take away from a run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from zerohsi.errors import UserError


def export(
    run_dir: Path = typer.Argument(..., help="A run folder (holds motion.npz)."),
    formats: list[str] = typer.Option(["npz"], "--format", "-f",
                                      help="npz (AMASS-style SMPL+H), bvh (SMPL joint names), bvh-mixamo, glb "
                                           "(skinned body), npz-native or bvh-native (the body's own skeleton); "
                                           "repeat or comma-separate for several."),
    up: Optional[str] = typer.Option(None, "--up", help="Up axis of the file: z or y (default: npz z, bvh/glb y)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder to write into (default: RUN_DIR/exports)."),
) -> None:
    """Export the run's motion for other tools (AMASS-style npz, BVH skeletons, skinned animated GLB)."""
    from zerohsi.outputs.export import FORMATS, export_run

    wanted = [f.strip().lower() for item in formats for f in item.split(",") if f.strip()]
    for f in wanted:
        if f not in FORMATS:
            raise UserError(f"Unknown export format '{f}'; choose from {', '.join(FORMATS)}.")
    if up is not None and up.lower() not in ("z", "y"):
        raise UserError(f"Unknown up axis '{up}'; use --up z or --up y.")
    if out is not None and out.exists() and not out.is_dir():
        raise UserError(f"--out '{out}' is a file; give a folder to export into.")
    if out is not None and not out.exists() and not out.parent.is_dir():
        raise UserError(f"--out '{out}': its parent folder '{out.parent}' does not exist.")
    for f in wanted:
        report: dict = {}
        path = export_run(run_dir, f, up, out_dir=out, report=report)
        note = ""
        if report:
            note = (f"  (SMPL retarget position error: mean {100 * report['retarget_mean_error_m']:.2f} cm, "
                    f"max {100 * report['retarget_max_error_m']:.2f} cm)")
        typer.echo(f"{path}{note}")


def view(
    run_dir: Path = typer.Argument(..., help="A run folder (holds motion.npz)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 to share on the network)."),
    port: int = typer.Option(8080, "--port", help="Port of the web viewer."),
    scene_mode: str = typer.Option("splats", "--scene", help="How the scene starts: splats | points | hidden "
                                   "(the viewer's scene menu switches)."),
    max_splats: int = typer.Option(200_000, "--max-splats", help="Subsample the scene to this many Gaussians."),
) -> None:
    """Open an interactive 3D viewer of the run in the browser (scene, body, object, cameras, timeline)."""
    try:
        import viser  # noqa: F401
    except ImportError:
        raise UserError("The viewer needs viser; install it with `pip install 'zerohsi[viewer]'`.") from None
    from zerohsi.outputs.run import RunFolder
    from zerohsi.outputs.viewer import start_viewer

    run = RunFolder(run_dir)
    scene, obj = run.scene_and_object
    try:
        viewer = start_viewer(run.motion, body_model=run.body_model, scene=scene, obj=obj, frames=run.frames,
                              host=host, port=port, max_splats=max_splats, scene_mode=scene_mode,
                              title=f"zerohsi: {run.name}")
    except OSError as exc:
        raise UserError(f"Cannot listen on {host}:{port} ({exc.strerror}); pick another --port.") from None
    typer.echo(f"viewer at {viewer.url}  (Ctrl-C to stop)")
    viewer.wait()


def report(
    path: Path = typer.Argument(..., help="A run folder, or a benchmark folder holding several runs."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write (default: PATH/report.html)."),
) -> None:
    """Write a self-contained HTML report of a run (videos, losses, metrics, plots, config) or of a sweep."""
    from zerohsi.bench.report import write_sweep_report
    from zerohsi.outputs.report import build_report
    from zerohsi.outputs.run import RunFolder, is_run_folder

    if not path.is_dir():
        raise UserError(f"'{path}' is not a folder; pass a run folder or a benchmark folder.")
    if is_run_folder(path):
        run = RunFolder(path)
        scene, obj = run.scene_and_object
        typer.echo(str(build_report(path, out, scene=scene, obj=obj)))
    else:
        typer.echo(str(write_sweep_report(path, out)))


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("view")(view)
    app.command("report")(report)
