"""`zerohsi splat info` and `zerohsi splat render`: inspect and render 3D Gaussian splat files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from zerohsi.errors import UserError

app = typer.Typer(help="Inspect and render 3D Gaussian splat (.ply) files.", no_args_is_help=True)


def _floats(text: str, n: int, option: str) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        vals = []
    if len(vals) != n:
        raise UserError(f"{option} takes {n} comma-separated numbers, got {text!r}.")
    return vals


@app.command("info")
def info(
    path: Path = typer.Argument(..., help="A 3DGS .ply file."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Count, SH degree, bounds, scale/opacity statistics and anomalies of a splat file."""
    from zerohsi.ply import ply_stats

    s = ply_stats(path)
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps(asdict(s), indent=2))
        return
    colour = f"SH degree {s.sh_degree}" if s.sh_degree is not None else f"{s.channels} colour channels (RGB)"
    typer.echo(f"{path}: {s.count} Gaussians, {colour}, {s.format}")
    typer.echo("bounds min  " + "  ".join(f"{v:9.3f}" for v in s.bounds_min))
    typer.echo("bounds max  " + "  ".join(f"{v:9.3f}" for v in s.bounds_max))
    typer.echo("largest scale (m)  " + "  ".join(f"{k} {v:.4g}" for k, v in s.scale_quantiles_m.items()))
    typer.echo("opacity            " + "  ".join(f"{k} {v:.3f}" for k, v in s.opacity_quantiles.items()))
    if s.anomalies:
        typer.echo("anomalies:")
        for a in s.anomalies:
            typer.echo(f"  - {a}")
    else:
        typer.echo("anomalies: none")


@app.command("render")
def render_cmd(
    path: Path = typer.Argument(..., help="A 3DGS .ply file."),
    out: Path = typer.Option(..., "--out", "-o", help="Output image (.png or .jpg)."),
    look_at: Optional[str] = typer.Option(None, "--look-at", help="Camera as ex,ey,ez,tx,ty,tz (eye and target)."),
    camera: Optional[Path] = typer.Option(None, "--camera", help="Camera JSON (zerohsi or transforms.json)."),
    camera_index: int = typer.Option(0, "--camera-index", help="Which camera of the --camera file."),
    width: int = typer.Option(512, "--width", min=1, max=8192),
    height: int = typer.Option(384, "--height", min=1, max=8192),
    fov: float = typer.Option(60.0, "--fov", help="Horizontal field of view (degrees) for --look-at/auto-framing."),
    up: str = typer.Option("0,0,1", "--up", help="World up vector for --look-at/auto-framing."),
    background: str = typer.Option("0,0,0", "--background", help="Background colour r,g,b in [0,1]."),
    backend: str = typer.Option("auto", "--backend", help="Render backend: auto, torch, gsplat."),
    drop_invalid: bool = typer.Option(False, "--drop-invalid", help="Skip rows with NaN/inf or degenerate values."),
) -> None:
    """Render one view of a splat file (auto-framed on the scene unless --look-at or --camera is given)."""
    import torch

    from zerohsi.cameras import Camera, load_cameras
    from zerohsi.io import atomic_path
    from zerohsi.ply import load_ply
    from zerohsi.render import render

    if look_at is not None and camera is not None:
        raise UserError("Give either --look-at or --camera, not both.")
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UserError(f"--out must end in .png or .jpg, got {out.name!r}.")
    g = load_ply(path, drop_invalid=drop_invalid,
                 invalid_hint="fix the file, or pass --drop-invalid to skip those rows")
    if len(g) == 0:
        raise UserError(f"{path.name} holds no Gaussians; nothing to render.")
    up_v = _floats(up, 3, "--up")
    if camera is not None:
        cams = load_cameras(camera)
        if not 0 <= camera_index < len(cams):
            raise UserError(f"--camera-index {camera_index} is out of range: {camera} holds {len(cams)} cameras.")
        cam = cams[camera_index]
    elif look_at is not None:
        v = _floats(look_at, 6, "--look-at")
        cam = Camera.look_at(v[:3], v[3:], width=width, height=height, fov_deg=fov, up=up_v)
    else:
        cam = auto_frame(g.means, width=width, height=height, fov_deg=fov, up=up_v)
    dev = "cuda" if torch.cuda.is_available() and backend in ("auto", "gsplat") else "cpu"
    with torch.no_grad():
        r = render(g.to(dev), cam.to(dev), backend=backend, background=_floats(background, 3, "--background"))
    img = (r.rgb[..., :3].clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu().numpy()
    import imageio.v3 as iio

    with atomic_path(out) as tmp:
        iio.imwrite(tmp, img, extension=out.suffix.lower())
    typer.echo(f"wrote {out} ({cam.width}x{cam.height}, {len(g)} Gaussians)")


def auto_frame(means, *, width: int, height: int, fov_deg: float = 60.0, up=(0.0, 0.0, 1.0)):
    """A camera that sees the bulk of the points (2nd–98th percentile box) from a raised three-quarter view."""
    import math

    import torch

    from zerohsi.cameras import Camera

    pts = means.detach().float().cpu()
    if len(pts) > 200_000:
        pts = pts[torch.randperm(len(pts), generator=torch.Generator().manual_seed(0))[:200_000]]
    lo, hi = torch.quantile(pts, 0.02, dim=0), torch.quantile(pts, 0.98, dim=0)
    center = 0.5 * (lo + hi)
    radius = max(float(0.5 * (hi - lo).norm()), 1e-3)
    up_t = torch.tensor(up, dtype=torch.float32)
    up_t = up_t / up_t.norm().clamp_min(1e-9)
    side = torch.linalg.cross(up_t, torch.tensor([1.0, 0.0, 0.0]))
    if side.norm() < 1e-3:
        side = torch.linalg.cross(up_t, torch.tensor([0.0, 1.0, 0.0]))
    side = side / side.norm()
    fwd_side = torch.linalg.cross(side, up_t)
    direction = -0.6 * side - 0.6 * fwd_side + 0.5 * up_t
    direction = direction / direction.norm()
    tan_h = math.tan(math.radians(fov_deg) / 2)
    half = math.atan(min(tan_h, tan_h * height / width))
    dist = 1.1 * radius / math.sin(half)
    eye = center + dist * direction
    return Camera.look_at(eye.tolist(), center.tolist(), width=width, height=height, fov_deg=fov_deg,
                          up=up_t.tolist())
