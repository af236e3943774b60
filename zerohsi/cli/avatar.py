"""`zerohsi avatar create|preview`: the animatable Gaussian avatar."""

from __future__ import annotations

from typing import Optional

import typer

app = typer.Typer(help="Create and preview Gaussian avatars.", no_args_is_help=True)


def _body(body: str, model_path: Optional[str]):
    from zerohsi.plugins import get_host

    return get_host().build("body_model", body, {"model_path": model_path} if model_path else {})


@app.command("create")
def create_cmd(
    output: str = typer.Option(..., "-o", "--out", help="Avatar file to write (.safetensors)."),
    body: str = typer.Option("anny", "--body", help="Body model (a registered body_model)."),
    appearance: str = typer.Option("casual", "--appearance", help="Colour preset: casual, formal, sporty, warm, clay."),
    num_gaussians: int = typer.Option(6000, "--num-gaussians", help="Number of Gaussians."),
    seed: int = typer.Option(0, "--seed"),
    model_path: Optional[str] = typer.Option(None, "--model-path", help="Model files of the smplx body."),
) -> None:
    """Create an avatar and save it."""
    from zerohsi.body.avatar import Avatar

    avatar = Avatar.create(_body(body, model_path), num_gaussians=num_gaussians, appearance=appearance, seed=seed)
    avatar.save(output)
    typer.echo(f"wrote {output}: {avatar.describe()}")


@app.command("preview")
def preview_cmd(
    out: str = typer.Option(..., "--out", help="PNG to write."),
    body: str = typer.Option("anny", "--body", help="Body model (a registered body_model)."),
    appearance: str = typer.Option("casual", "--appearance", help="Colour preset: casual, formal, sporty, warm, clay."),
    pose: str = typer.Option("standing", "--pose", help="Pose preset: standing, t_pose, sitting, walk, ..."),
    num_gaussians: int = typer.Option(6000, "--num-gaussians"),
    size: int = typer.Option(256, "--size", help="Image height in pixels (width is 3/4 of it)."),
    yaw: float = typer.Option(20.0, "--yaw", help="Body yaw in degrees (0 faces the camera)."),
    avatar_file: Optional[str] = typer.Option(None, "--avatar", help="Render this saved avatar instead."),
    model_path: Optional[str] = typer.Option(None, "--model-path", help="Model files of the smplx body."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Render the avatar in a pose to a PNG."""
    import imageio.v3 as iio
    import numpy as np
    import torch

    from zerohsi.body.avatar import Avatar
    from zerohsi.body.poses import place_on_floor, pose_preset, walk_pose, yaw_orient
    from zerohsi.cameras import Camera
    from zerohsi.io import atomic_path
    from zerohsi.render import render

    model = _body(body, model_path)
    avatar = Avatar.load(avatar_file, model) if avatar_file else Avatar.create(
        model, num_gaussians=num_gaussians, appearance=appearance, seed=seed)
    params = walk_pose(model, 0.2) if pose == "walk" else pose_preset(model, pose)
    params = place_on_floor(model, params.replace(global_orient=yaw_orient(yaw)))
    height, width = int(size), int(size * 3 // 4)
    top = float(params.transl[0, 2]) + 0.9
    cam = Camera.look_at((0.0, -3.2, 1.0), (0.0, 0.0, min(top, 1.8) / 2 + 0.1), width=width, height=height,
                         fov_deg=38.0)
    with torch.no_grad():
        img = render(avatar.gaussians(params, cam), cam, background=(1.0, 1.0, 1.0)).rgb
    with atomic_path(out, suffix=".png") as tmp:
        iio.imwrite(tmp, (img.clamp(0, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8), extension=".png")
    typer.echo(f"wrote {out}")
