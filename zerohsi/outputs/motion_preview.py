"""A quick look at a motion without a scene or a GPU: the body mesh, flat-shaded, over a floor grid, drawn with
PIL's polygon filler in depth order (painter's algorithm), as a PNG strip of a few frames or an mp4 of all.

Each panel's camera follows the body (a fixed three-quarter view from the front-right, looking at the pelvis)
while the grid stays fixed in the world, so travel shows as the grid moving under the body. The floor is at the
lowest vertex of the whole motion.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
import torch

from zerohsi.body.params import BodyModel
from zerohsi.cameras import Camera
from zerohsi.motion import Motion

BODY_RGB = np.array([205.0, 160.0, 130.0])
BACKGROUND = (246, 246, 246)
GRID_RGB = (170, 170, 170)
LIGHT = np.array([0.35, -0.6, 0.72]) / np.linalg.norm([0.35, -0.6, 0.72])


@torch.no_grad()
def posed_vertices(body_model: BodyModel, motion: Motion, frame_ids: Sequence[int]) -> np.ndarray:
    """(N,V,3) world vertices of the requested frames."""
    body = motion.body[list(frame_ids)] if len(frame_ids) else motion.body[:0]
    out = []
    for start in range(0, len(body), 32):
        out.append(body_model(body[start:start + 32].to(torch.float32)).vertices.double().cpu().numpy())
    return np.concatenate(out)


def preview_camera(center: np.ndarray, height: int, width: int, *, azimuth_deg: float = -35.0,
                   elevation_deg: float = 15.0, distance: float = 3.4) -> Camera:
    """A camera at ``distance`` from ``center``, from the body's front-right (the body faces -Y) and above."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    offset = distance * np.array([math.sin(az) * -math.cos(el), -math.cos(az) * math.cos(el), math.sin(el)])
    return Camera.look_at(tuple(center + offset), tuple(center), width=width, height=height, fov_deg=36.0,
                          dtype=torch.float64)


def draw_panel(vertices: np.ndarray, faces: np.ndarray, camera: Camera, floor_z: float, label: str = ""
               ) -> np.ndarray:
    """(H,W,3) uint8: the mesh over a 0.5 m floor grid, seen through ``camera``."""
    from PIL import Image, ImageDraw

    W, H = camera.width, camera.height
    img = Image.new("RGB", (W, H), BACKGROUND)
    draw = ImageDraw.Draw(img)
    center = vertices.mean(0)
    g0x, g0y = np.floor(center[:2] / 0.5) * 0.5
    for k in range(-8, 9):  # grid lines around the body, clipped to the part in front of the camera
        for a, b in (((g0x + 0.5 * k, g0y - 4), (g0x + 0.5 * k, g0y + 4)),
                     ((g0x - 4, g0y + 0.5 * k), (g0x + 4, g0y + 0.5 * k))):
            pts = np.linspace(a, b, 33)
            p3 = np.concatenate([pts, np.full((len(pts), 1), floor_z)], 1)
            uv, z = (t.numpy() for t in camera.project(torch.as_tensor(p3)))
            ok = z > 0.1
            for i in range(len(pts) - 1):
                if ok[i] and ok[i + 1]:
                    draw.line([tuple(uv[i]), tuple(uv[i + 1])], fill=GRID_RGB, width=1)
    uv, z = (t.numpy() for t in camera.project(torch.as_tensor(vertices)))
    tri = vertices[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True).clip(1e-12)
    to_cam = camera.cam_to_world[:3, 3].numpy() - tri.mean(1)
    facing = (normal * to_cam).sum(1) > 0
    shade = 0.35 + 0.65 * np.abs(normal @ LIGHT)
    depth = z[faces].mean(1)
    keep = np.flatnonzero(facing & (z[faces].min(1) > 0.05))
    for f in keep[np.argsort(-depth[keep])]:
        colour = tuple(int(c) for c in np.clip(BODY_RGB * shade[f], 0, 255))
        draw.polygon([tuple(uv[i]) for i in faces[f]], fill=colour)
    if label:
        draw.text((4, 3), label, fill=(60, 60, 60))
    return np.asarray(img)


def render_preview(motion: Motion, body_model: BodyModel, frame_ids: Sequence[int], *, height: int = 256
                   ) -> np.ndarray:
    """(N,H,W,3) uint8 panels of the requested frames (width = 3/4 height), labelled with frame and time."""
    frame_ids = [int(t) for t in frame_ids]
    verts = posed_vertices(body_model, motion, frame_ids)
    all_floor = float(posed_vertices(body_model, motion, range(0, len(motion), max(1, len(motion) // 16)))[..., 2]
                      .min())
    faces = body_model.faces.cpu().numpy().astype(np.int64)
    width = max(16, height * 3 // 4)
    panels = []
    for v, t in zip(verts, frame_ids, strict=True):
        center = v.mean(0)
        cam = preview_camera(center, height, width)
        panels.append(draw_panel(v, faces, cam, min(all_floor, float(v[:, 2].min())),
                                 f"frame {t}  {t / motion.fps:.2f} s"))
    return np.stack(panels)


def write_preview(path: str | os.PathLike, motion: Motion, body_model: BodyModel, *, frames: int = 6,
                  height: int = 256) -> int:
    """A PNG strip of ``frames`` evenly spaced frames, or (``.mp4``) a video of every frame; returns the number of
    frames drawn."""
    from zerohsi.io import atomic_path

    path = str(path)
    if path.lower().endswith(".mp4"):
        from zerohsi.video.io import write_mp4

        ids = list(range(len(motion)))
        write_mp4(path, render_preview(motion, body_model, ids, height=height), motion.fps)
        return len(ids)
    import imageio.v3 as iio

    n = max(1, min(frames, len(motion)))
    ids = sorted({int(round(x)) for x in np.linspace(0, len(motion) - 1, n)})
    strip = np.concatenate(list(render_preview(motion, body_model, ids, height=height)), axis=1)
    with atomic_path(path, suffix=".png") as tmp:
        iio.imwrite(tmp, strip, extension=".png")
    return len(ids)
