"""`zerohsi scenes ...`: list, preview, check and import scenes; build instances for a user's own capture and
export their first frame for an outside video model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)  # piped: never cut names
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
app = typer.Typer(help="Scenes, objects and the AnyInteraction suite.", no_args_is_help=True)

# how a capture is aligned (+Z up, metres, floor at 0): the same options wherever a capture is read
_UP = typer.Option("+z", "--up", help="The file's up axis: +x -x +y -y +z -z.")
_SCALE = typer.Option(1.0, "--scale", help="File units to metres.")
_FLOOR = typer.Option(None, "--floor", help="Floor height after rotation and scaling (estimated when omitted).")
_VOXEL = typer.Option(0.05, "--voxel", help="SDF grid resolution, metres.")


@app.command("list")
def list_cmd(
    suite: str = typer.Option("anyinteraction", "--suite", help="Suite name (anyinteraction, anyinteraction-lite)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List the suite's instances, scenes and objects."""
    from zerohsi.scenes import object_names, scene_names
    from zerohsi.scenes.suite import load_suite

    s = load_suite(suite)
    if as_json:
        typer.echo(json.dumps({
            "suite": s.name,
            "instances": [{"name": i.name, "kind": i.kind, "scene": i.scene, "object": i.object, "prompt": i.prompt,
                           "seeds": i.seeds} for i in s.instances],
            "scenes": {n: ("ply" if (s.scenes.get(n) and s.scenes[n].ply) else "procedural") for n in scene_names()},
            "objects": object_names(),
        }, indent=2))
        return
    table = Table(title=f"{s.name}: {len(s)} instances "
                        f"({sum(i.kind == 'static' for i in s.instances)} static, "
                        f"{sum(i.kind == 'dynamic' for i in s.instances)} dynamic)")
    # the names are what `instance.name=` takes: never cut them; the prompt wraps instead
    for col, attr in (("instance", "name"), ("kind", "kind"), ("scene", "scene"), ("object", "object")):
        widest = max([len(col)] + [len(str(getattr(i, attr) or "-")) for i in s.instances])
        table.add_column(col, no_wrap=True, min_width=widest)
    table.add_column("prompt", ratio=1)
    for i in s.instances:
        table.add_row(i.name, i.kind, i.scene, i.object or "-", i.prompt)
    console.print(table)
    scenes = ", ".join(f"{n}{' (ply)' if s.scenes.get(n) and s.scenes[n].ply else ''}" for n in scene_names())
    console.print(f"scenes: {scenes}")
    console.print(f"objects: {', '.join(object_names())}")


@app.command("preview")
def preview_cmd(
    name: str = typer.Argument(..., help="An instance name (rendered from its camera) or a scene name."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="PNG to write (default NAME.png)."),
    width: int = typer.Option(320, help="Image width in pixels."),
    height: int = typer.Option(240, help="Image height in pixels."),
    density: float = typer.Option(1.0, help="Gaussian density of a procedural scene (1.0 ~ 30k Gaussians)."),
    seed: int = typer.Option(0, help="Scene seed."),
    ply: Optional[Path] = typer.Option(None, "--ply", help="A real 3DGS .ply that replaces the procedural twin."),
    suite: str = typer.Option("anyinteraction", "--suite", help="Suite the instance comes from."),
    backend: str = typer.Option("auto", help="Render backend."),
) -> None:
    """Render a PNG of an instance (scene + object + a body marker at the start) or of a whole scene."""
    from zerohsi.errors import UserError
    from zerohsi.scenes import build_object, build_scene, scene_names
    from zerohsi.scenes.preview import render_preview
    from zerohsi.scenes.suite import load_suite

    if width < 8 or height < 8 or width > 4096 or height > 4096:
        raise UserError(f"Image size {width}x{height} is out of range; use 8 to 4096 pixels per side.")
    s = load_suite(suite)
    inst = s.get(name) if name in s.names() else None
    if inst is None and name not in scene_names():
        raise UserError(f"'{name}' is neither an instance of suite '{suite}' nor a scene; "
                        "run `zerohsi scenes list` to see both.")
    scene_name = inst.scene if inst is not None else name
    if ply is not None and not ply.is_file():
        raise UserError(f"The .ply file '{ply}' does not exist; check the path.")
    scene = build_scene(scene_name, seed=seed, density=density, ply=None if ply is None else str(ply))
    obj = build_object(inst.object, seed=seed) if inst is not None and inst.object else None
    image = render_preview(scene, inst, obj, width=width, height=height, backend=backend)
    path = out or Path(f"{name}.png")
    _write_png(path, image)
    console.print(f"wrote {path} ({width}x{height}; {len(scene.gaussians)} scene Gaussians, "
                  f"floor z={scene.floor_height:.3f}, source={scene.source})")


@app.command("check")
def check_cmd(
    suite: str = typer.Option("anyinteraction", "--suite", help="Suite name."),
    density: float = typer.Option(0.1, help="Gaussian density of the scenes (geometry does not depend on it)."),
) -> None:
    """Check every instance: the body stands free of furniture, objects rest on surfaces, the camera sees both."""
    from zerohsi.scenes import build_object, build_scene
    from zerohsi.scenes.checks import check_geometry
    from zerohsi.scenes.suite import check_instance, load_suite

    s = load_suite(suite)
    table = Table(title=f"{s.name} geometry checks")
    for col in ("instance", "status", "clearance m", "object gap m", "problems"):
        table.add_column(col)
    bad = 0
    for inst in s.instances:
        scene = build_scene(inst.scene, density=density)
        obj = build_object(inst.object, density=0.3) if inst.object else None
        check_instance(inst, scene.targets, set(obj.contact_regions) if obj is not None else None)
        rep = check_geometry(inst, scene, obj)
        bad += not rep.ok
        table.add_row(inst.name, "[green]ok[/]" if rep.ok else "[red]fail[/]", f"{rep.clearance_m:.3f}",
                      "-" if rep.object_gap_m is None else f"{rep.object_gap_m:.3f}", "; ".join(rep.problems))
    console.print(table)
    if bad:
        raise typer.Exit(1)


@app.command("import")
def import_cmd(
    ply: Path = typer.Argument(..., help="A 3DGS scene in the INRIA .ply format."),
    mesh: Optional[Path] = typer.Option(None, "--mesh", help="A mesh of the same scene for its SDF (optional)."),
    up: str = _UP,
    scale: float = _SCALE,
    floor_offset: Optional[float] = _FLOOR,
    voxel_size: float = _VOXEL,
    preview: Optional[Path] = typer.Option(None, "--preview", help="Also render an overview PNG here."),
) -> None:
    """Load a real 3DGS scene, align it (+Z up, metres, floor at z=0) and report its floor, bounds and grid."""
    from zerohsi.scenes.realscene import load_real_scene
    from zerohsi.scenes.scene import SceneSpec

    spec = SceneSpec(name=ply.stem, ply=str(ply), mesh=None if mesh is None else str(mesh), up=up, scale=scale,
                     floor_offset=floor_offset, voxel_size=voxel_size)
    scene = load_real_scene(spec, Path.cwd())
    from zerohsi.errors import UserError
    from zerohsi.scenes.placement import capture_problems

    errors, warnings = capture_problems(scene)
    if errors:
        raise UserError(errors[0])
    for w in warnings:
        err_console.print(f"warning: {w}")
    typer.echo(json.dumps({"name": scene.name, "source": scene.source, **scene.info}, indent=2))
    if preview is not None:
        from zerohsi.scenes.preview import render_preview

        _write_png(preview, render_preview(scene, None, None, width=320, height=240))
        console.print(f"wrote {preview}")


def _numbers(text: Optional[str], option: str, sizes: tuple[int, ...]) -> Optional[tuple[float, ...]]:
    """'1.5,-2,0.3' -> (1.5, -2.0, 0.3), checked for count and finiteness (one-sentence UserError)."""
    import math

    from zerohsi.errors import UserError

    if text is None:
        return None
    try:
        vals = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        vals = ()
    if len(vals) not in sizes or not all(math.isfinite(v) for v in vals):
        want = " or ".join(str(n) for n in sizes)
        raise UserError(f"{option} takes {want} comma-separated numbers, got '{text}'.")
    return vals


@app.command("instance")
def instance_cmd(
    ply: Path = typer.Argument(..., help="Your 3DGS scene (INRIA .ply), in the frame `zerohsi scenes import` "
                               "aligns with the same --up/--scale/--floor."),
    out: Path = typer.Option(..., "--out", "-o", help="The instance file to write (YAML)."),
    prompt: str = typer.Option(..., "--prompt", help="What the person does (the video model's prompt)."),
    frames: int = typer.Option(51, "--frames", help="Clip length in frames, at --fps."),
    fps: float = typer.Option(10.0, "--fps", help="Frame rate the run works at (the clip is resampled to it)."),
    up: str = _UP,
    scale: float = _SCALE,
    floor_offset: Optional[float] = _FLOOR,
    voxel_size: float = _VOXEL,
    mesh: Optional[Path] = typer.Option(None, "--mesh", help="A mesh of the scene for its SDF (else the Gaussians)."),
    look_at: Optional[str] = typer.Option(None, "--camera-look-at", help="Camera eye and target: ex,ey,ez,tx,ty,tz "
                                          "(metres, aligned frame)."),
    cameras: Optional[Path] = typer.Option(None, "--cameras", help="The capture's cameras: a COLMAP model folder, "
                                           "a nerfstudio transforms.json or the 3DGS trainer's cameras.json."),
    camera_index: int = typer.Option(0, "--camera-index", help="Which camera of --cameras (0-based, sorted by "
                                     "image name for COLMAP)."),
    fov: float = typer.Option(60.0, "--fov", help="Horizontal field of view of a look-at or default camera, deg."),
    size: str = typer.Option("1280x720", "--size", help="First-frame size WxH (1280x720 is 16:9, which KLING, "
                             "Runway, Veo and Sora accept)."),
    person_at: Optional[str] = typer.Option(None, "--person-at", help="Person's floor position x,y (metres)."),
    heading: Optional[float] = typer.Option(None, "--heading", help="Person's heading in degrees CCW from +X "
                                            "(default: facing the camera)."),
    sitting: bool = typer.Option(False, "--sitting", help="Start sitting on the seat at --person-at."),
    seat_height: Optional[float] = typer.Option(None, "--seat-height", help="Seat top height (found from the "
                                                "geometry when omitted)."),
    object_file: Optional[Path] = typer.Option(None, "--object", help="An object: a 3DGS .ply or a mesh."),
    object_pose: Optional[str] = typer.Option(None, "--object-pose", help="Where the object's base rests: "
                                              "x,y,z[,yaw_deg]."),
    object_scale: float = typer.Option(1.0, "--object-scale", help="Object file units to metres."),
    name: Optional[str] = typer.Option(None, "--name", help="Instance name (default: the scene file's name)."),
) -> None:
    """Write an instance file for your own capture; with no --person-at/--camera the person goes on free floor near
    the capture's centre, facing a camera at eye height. Every placement is checked before anything is written."""
    from zerohsi.errors import UserError
    from zerohsi.scenes.instance_file import build_instance_file

    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise UserError(f"--size must look like 1280x720, got '{size}'.") from None
    pos = _numbers(person_at, "--person-at", (2,))
    inst = build_instance_file(
        ply, prompt=prompt, num_frames=frames, fps=fps, up=up, scale=scale, floor_offset=floor_offset,
        voxel_size=voxel_size, mesh=None if mesh is None else str(mesh), size=(w, h), fov_deg=fov,
        look_at=_numbers(look_at, "--camera-look-at", (6,)), cameras=None if cameras is None else str(cameras),
        camera_index=camera_index, person_at=None if pos is None else (pos[0], pos[1]), heading_deg=heading,
        sitting=sitting, seat_height=seat_height, object_file=None if object_file is None else str(object_file),
        object_pose=_numbers(object_pose, "--object-pose", (3, 4)), object_scale=object_scale, name=name,
        base=out.parent)
    inst.save(out)
    eye = inst.camera.center.tolist()
    p = inst.person
    console.print(f"wrote {out}: {p.pose} person at ({p.position[0]:.2f}, {p.position[1]:.2f}) heading "
                  f"{p.heading_deg:.0f} deg; camera ({inst.camera_source}) at ({eye[0]:.2f}, {eye[1]:.2f}, "
                  f"{eye[2]:.2f}), {inst.camera.width}x{inst.camera.height}; {inst.num_frames} frames at "
                  f"{inst.fps:g} fps")


@app.command("first-frame")
def first_frame_cmd(
    instance: Path = typer.Argument(..., help="An instance file (`zerohsi scenes instance` writes one)."),
    overrides: Optional[list[str]] = typer.Argument(None, help="Dot-list overrides, as for `zerohsi run`; use the "
                                                    "same preset and avatar overrides as the run."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for first_frame.png, its masks and expect.json."),
    config: str = typer.Option("fast", "--config", "-c", help="Preset (or YAML) the run will use."),
) -> None:
    """Render the first frame for an outside video model (scene + avatar + object, at the instance camera's size),
    with the frame-0 masks and expect.json (camera, frame count and rate the returned clip must meet). The last
    line printed is the image's path."""
    from zerohsi.config import load_config
    from zerohsi.outputs.handoff import IMAGE, export_first_frame

    cfg = load_config(config, [*(overrides or []), f"instance.file={instance}"])
    exp = export_first_frame(cfg, out)
    console.print(f"first frame {exp['width']}x{exp['height']} ({exp['aspect']}); the clip must start from it and "
                  f"last at least {exp['min_duration_s']:g} s (e.g. {exp['min_source_frames']['24']} frames at 24 fps,"
                  f" {exp['min_source_frames']['30']} at 30 fps); masks and expectations in {out / 'expect.json'}")
    typer.echo(str(out / IMAGE))


def _write_png(path: Path, image) -> None:
    import imageio.v3 as iio
    import numpy as np

    from zerohsi.io import atomic_path

    arr = (np.clip(image.detach().cpu().numpy(), 0, 1) * 255 + 0.5).astype(np.uint8)
    with atomic_path(path, suffix=".png") as tmp:
        iio.imwrite(tmp, arr, extension=".png")
