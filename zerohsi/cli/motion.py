"""`zerohsi motion import|info|preview`: bring mocap (BVH, AMASS-style npz, SMPL pickles) onto a zerohsi body and
look at it."""

from __future__ import annotations

from typing import Optional

import typer

app = typer.Typer(help="Import and inspect motions.", no_args_is_help=True)


def _check_output(path: str) -> None:
    """An output file's folder must exist and be a folder (checked before any work)."""
    from pathlib import Path

    from zerohsi.errors import UserError

    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        raise UserError(f"Cannot write '{path}': its folder '{parent}' does not exist or is not a folder.")
    if Path(path).is_dir():
        raise UserError(f"'{path}' is a folder; give a file name such as {Path(path) / 'motion.npz'}.")


@app.command("import")
def import_cmd(
    file: str = typer.Argument(..., help="A .bvh file, an AMASS-style .npz (poses, trans, betas) or a .pkl of SMPL "
                                         "parameters from a pose estimator."),
    output: str = typer.Option(..., "-o", "--output", help="Motion npz to write."),
    body: str = typer.Option("anny", "--body", help="Body model to retarget onto (a registered body_model)."),
    fps: Optional[float] = typer.Option(None, "--fps", help="Resample to this frame rate (default: the file's; a "
                                                           ".pkl carries none: its frame rate, default 30)."),
    convention: str = typer.Option("auto", "--convention",
                                   help="BVH joint names: auto, names (pattern matching), smpl, smpl_long, cmu_asf, "
                                        "anny."),
    joint_map: Optional[str] = typer.Option(None, "--joint-map",
                                            help="JSON/YAML table of BVH joint name -> zerohsi joint (pelvis, "
                                                 "left_hip, ...), for rigs no convention covers."),
    units: str = typer.Option("auto", "--units", help="BVH length unit: auto, m, cm, mm, inch, cmu."),
    scale: Optional[float] = typer.Option(None, "--scale", help="BVH metres per file unit (overrides --units)."),
    up: str = typer.Option("auto", "--up", help="Up axis of the file: auto, y, z (AMASS npz: z)."),
    model_path: Optional[str] = typer.Option(None, "--model-path",
                                             help="Folder with your SMPL-X/SMPL+H model files: AMASS input is then "
                                                  "converted through the real model instead of the approximate "
                                                  "skeleton."),
    model_type: str = typer.Option("smplh", "--model-type", help="SMPL family of an AMASS file: smplh, smplx, smpl."),
    iters: int = typer.Option(300, "--iters", help="Fitting iterations."),
    fit_shape: bool = typer.Option(False, "--fit-shape", help="Also fit the body's proportions (slower)."),
) -> None:
    """Retarget FILE onto --body and write a zerohsi motion, reporting the per-joint fitting error."""
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from zerohsi.errors import UserError
    from zerohsi.plugins import get_host

    console = Console(stderr=True)
    suffix = Path(file).suffix.lower()
    if suffix not in (".bvh", ".npz", ".pkl", ".pickle"):
        raise UserError(f"'{file}' is neither a .bvh, an .npz nor a .pkl file; give a BVH, an AMASS-style npz or "
                        "a pickle of SMPL parameters.")
    if not Path(file).is_file():
        raise UserError(f"'{file}' does not exist; check the path.")
    if iters < 1:
        raise UserError(f"--iters must be at least 1, got {iters}.")
    if fps is not None and not fps > 0:
        raise UserError(f"--fps must be a positive frame rate, got {fps:g}.")
    _check_output(output)
    if suffix == ".npz":
        from zerohsi.body.motion_import import load_amass

        load_amass(file)  # a file that is not AMASS is told so before any model is built
    host = get_host()
    smpl_opts = {"model_path": model_path or "", "model_type": model_type}
    target = host.build("body_model", body, smpl_opts if body == "smplx" else {})
    with console.status(f"retargeting {Path(file).name} onto {body}..."):
        if suffix == ".bvh":
            from zerohsi.body.motion_import import import_bvh

            motion, _, report = import_bvh(file, target, fps=fps, convention=convention, units=units, up=up,
                                           scale=scale, joint_map=joint_map, iters=iters, fit_shape=fit_shape)
        elif suffix == ".npz" and (model_path or body == "smplx"):
            from zerohsi.body.motion_import import import_amass

            smpl = target if body == "smplx" else host.build("body_model", "smplx", smpl_opts)
            motion, _, report = import_amass(file, target, smpl, fps=fps, up="z" if up == "auto" else up,
                                             iters=iters, fit_shape=fit_shape)
        else:
            from zerohsi.body.motion_import import import_smpl_motion

            motion, _, report = import_smpl_motion(file, target, fps=fps, up=up, iters=iters, fit_shape=fit_shape)
    motion.save(output)
    table = Table(title=f"{report.frames} frames at {report.fps:g} fps -> {output}")
    table.add_column("joint")
    table.add_column("error (cm)", justify="right")
    for name, err in report.joint_error_m.items():
        table.add_row(name, f"{100 * err:.1f}")
    if report.joint_error_m:
        table.add_row("[b]mean[/b]", f"[b]{100 * report.mean_error_m:.1f}[/b]")
    console.print(table)
    if suffix == ".bvh":
        console.print(f"skeleton: {report.convention}, units: {report.units}, up: {report.up}")
    elif report.convention == "smpl-approx":
        console.print("SMPL rotations read through an approximate SMPL rest skeleton (no model files); pass "
                      "--model-path for the exact model.")


@app.command("info")
def info_cmd(file: str = typer.Argument(..., help="A zerohsi motion npz.")) -> None:
    """Print what a motion file holds."""
    from zerohsi.motion import Motion

    m = Motion.load(file)
    typer.echo(f"{file}: {len(m)} frames at {m.fps:g} fps, body '{m.body_model}', "
               f"object poses: {'yes' if m.object_poses is not None else 'no'}, "
               f"cameras: {'yes' if m.K is not None else 'no'}")


@app.command("preview")
def preview_cmd(
    file: str = typer.Argument(..., help="A zerohsi motion npz (from `motion import` or a run's motion.npz)."),
    out: str = typer.Option(..., "-o", "--out", help="A .png (a strip of a few frames) or .mp4 (every frame)."),
    frames: int = typer.Option(6, "--frames", help="Frames in the PNG strip, evenly spaced."),
    size: int = typer.Option(256, "--size", help="Panel height in pixels (width is 3/4 of it)."),
    model_path: Optional[str] = typer.Option(None, "--model-path", help="Model files of the smplx body."),
) -> None:
    """Draw a motion's body over a floor grid, so you can see what came in."""
    from pathlib import Path

    from zerohsi.errors import UserError
    from zerohsi.motion import Motion
    from zerohsi.outputs.motion_preview import write_preview
    from zerohsi.plugins import get_host

    if Path(out).suffix.lower() not in (".png", ".mp4"):
        raise UserError(f"--out '{out}' must end in .png (a strip) or .mp4 (a video).")
    if frames < 1 or not 16 <= size <= 2048:
        raise UserError("--frames must be at least 1 and --size between 16 and 2048 pixels.")
    _check_output(out)
    if Path(file).suffix.lower() == ".bvh":
        raise UserError(f"'{file}' is a BVH file; bring it onto a body first with `zerohsi motion import {file} "
                        "-o motion.npz`, then preview motion.npz.")
    motion = Motion.load(file)
    opts = {"model_path": model_path} if model_path else {}
    body = get_host().build("body_model", motion.body_model, opts)
    n = write_preview(out, motion, body, frames=frames, height=size)
    typer.echo(f"wrote {out} ({n} frames)")
