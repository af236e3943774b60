"""Videos users watch: mp4 writing, mask overlays, side-by-side comparisons and free-viewpoint orbits.

All mp4s are H.264 / yuv420p (plays in every browser), padded to even sizes, and written atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np
import torch

from zerohsi.cameras import Camera
from zerohsi.io import atomic_path

if TYPE_CHECKING:
    from zerohsi.gaussians import Gaussians
    from zerohsi.motion import Motion
    from zerohsi.segment.masks import Masks
    from zerohsi.setup import Setup

#: frames shorter than this (pixels) get no captions
MIN_LABEL_HEIGHT = 64
HUMAN_COLOR = np.array([255, 80, 60], dtype=np.float32)
OBJECT_COLOR = np.array([60, 140, 255], dtype=np.float32)


# -- mp4 IO --------------------------------------------------------------------------------------------------------
def pad_even(frames: np.ndarray) -> np.ndarray:
    """(T,H,W,3) -> frames padded with black to even H and W (yuv420p needs both even)."""
    T, H, W, _ = frames.shape
    ph, pw = H % 2, W % 2
    if not (ph or pw):
        return frames
    return np.pad(frames, ((0, 0), (0, ph), (0, pw), (0, 0)))


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float, *, crf: int = 18) -> None:
    """Write uint8 frames (T,H,W,3) as an H.264 mp4 atomically."""
    import av

    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T,H,W,3), got {frames.dtype} {frames.shape}")
    if len(frames) == 0:
        raise ValueError("no frames to write")
    frames = pad_even(frames)
    rate = _fraction(fps)
    with atomic_path(path, suffix=".mp4") as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height = int(frames.shape[2]), int(frames.shape[1])
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": "veryfast", "movflags": "+faststart"}
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)


def read_video(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """An mp4 as (uint8 frames (T,H,W,3), fps)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.base_rate or 0)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    return np.stack(frames), fps


def _fraction(fps: float):
    from fractions import Fraction

    return Fraction(fps).limit_denominator(1001)


# -- compositing ---------------------------------------------------------------------------------------------------
def mask_overlay(frames: np.ndarray, masks: Optional[Masks], alpha: float = 0.45) -> np.ndarray:
    """(T,H,W,3) uint8 frames with the human mask tinted red and the object mask blue, outlines drawn solid."""
    out = frames.astype(np.float32)
    if masks is None:
        return frames.copy()
    for m, color in ((masks.human, HUMAN_COLOR), (masks.object, OBJECT_COLOR)):
        if m is None:
            continue
        m = _fit_masks(np.asarray(m, dtype=bool), frames.shape[1:3])
        out = np.where(m[..., None], (1 - alpha) * out + alpha * color, out)
        edge = m & ~_erode(m)
        out = np.where(edge[..., None], color, out)
    return out.clip(0, 255).astype(np.uint8)


def _erode(m: np.ndarray) -> np.ndarray:
    """One-pixel binary erosion of (T,H,W) masks (4-neighbourhood)."""
    p = np.pad(m, ((0, 0), (1, 1), (1, 1)), constant_values=False)
    return p[:, 1:-1, 1:-1] & p[:, :-2, 1:-1] & p[:, 2:, 1:-1] & p[:, 1:-1, :-2] & p[:, 1:-1, 2:]


def _fit_masks(m: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of (T,h,w) masks to (T,H,W) when the segmenter worked at another resolution."""
    if m.shape[1:] == tuple(hw):
        return m
    ys = (np.arange(hw[0]) * m.shape[1] / hw[0]).astype(int)
    xs = (np.arange(hw[1]) * m.shape[2] / hw[1]).astype(int)
    return m[:, ys][:, :, xs]


def resize_frames(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of uint8 (T,H,W,3) frames."""
    if frames.shape[1:3] == (height, width):
        return frames
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    x = torch.nn.functional.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)
    return x.permute(0, 2, 3, 1).round().clamp(0, 255).to(torch.uint8).numpy()


def label_frames(frames: np.ndarray, text: str) -> np.ndarray:
    """Write a small caption in the top-left corner of every frame (white text on a dark box)."""
    from PIL import Image, ImageDraw, ImageFont

    H = frames.shape[1]
    try:
        font = ImageFont.load_default(size=max(9, H // 16))
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        font = ImageFont.load_default()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    x0, y0, x1, y1 = probe.textbbox((0, 0), text, font=font)
    box = np.zeros((y1 + 4, x1 + 6, 3), np.uint8)
    img = Image.fromarray(box)
    ImageDraw.Draw(img).text((3, 2 - y0), text, fill=(255, 255, 255), font=font)
    patch = np.asarray(img)
    out = frames.copy()
    h, w = min(patch.shape[0], out.shape[1]), min(patch.shape[1], out.shape[2])
    region = out[:, :h, :w].astype(np.float32)
    out[:, :h, :w] = (0.35 * region + patch[:h, :w]).clip(0, 255).astype(np.uint8)
    return out


def side_by_side(source: np.ndarray, recon: np.ndarray, masks: Optional[Masks] = None,
                 labels: Sequence[str] | None = ("source", "reconstruction", "overlay")) -> np.ndarray:
    """(T,H,3W,3): source | re-rendered reconstruction | source blended with the reconstruction, masks tinted.

    recon is resized to the source's size when they differ; T is the shorter of the two.
    """
    T = min(len(source), len(recon))
    source = np.asarray(source[:T])
    recon = resize_frames(np.asarray(recon[:T]), source.shape[1], source.shape[2])
    blend = ((source.astype(np.uint16) + recon) >> 1).astype(np.uint8)  # integer mean: 4x less memory traffic
    if masks is not None:
        from zerohsi.segment.masks import Masks

        masks = Masks(np.asarray(masks.human)[:T], None if masks.object is None else np.asarray(masks.object)[:T])
    overlay = mask_overlay(blend, masks)
    panels = [source, recon, overlay]
    if labels and source.shape[1] >= MIN_LABEL_HEIGHT:  # on thumbnails a caption would hide the content
        panels = [label_frames(p, text) for p, text in zip(panels, labels, strict=True)]
    return np.concatenate(panels, axis=2)


def write_side_by_side(path: str | os.PathLike, source: np.ndarray, recon: np.ndarray, masks: Optional[Masks],
                       fps: float) -> None:
    """Write the source | reconstruction | overlay comparison mp4 (uint8 (T,H,W,3) inputs)."""
    write_video(path, side_by_side(source, recon, masks), fps)


# -- rendering the 4D result ---------------------------------------------------------------------------------------
def frame_gaussians(setup: Setup, motion: Motion, t: int, camera: Camera, *, with_scene: bool = True
                    ) -> Gaussians:
    """Scene + avatar (posed at frame t, coloured for ``camera``) + object (at its frame-t pose), groups 0/1/2."""
    from zerohsi.gaussians import Gaussians

    device = setup.device
    parts = []
    if with_scene:
        parts.append(setup.scene.gaussians.to(device).with_group(0))
    params = motion.body[t].to(device)
    parts.append(setup.avatar.gaussians(params, camera.to(device)).with_group(1))
    if setup.obj is not None and motion.object_poses is not None:
        parts.append(setup.obj.posed_gaussians(motion.object_poses[t].to(device)).with_group(2))
    return Gaussians.cat(parts)


@torch.no_grad()
def render_frames(setup: Setup, motion: Motion, cameras: Sequence[Camera], frame_ids: Sequence[int], *,
                  backend: str = "auto", background: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """Render motion frame ``frame_ids[i]`` from ``cameras[i]``; returns uint8 (N,H,W,3)."""
    from zerohsi.render import render

    out = []
    for cam, t in zip(cameras, frame_ids, strict=True):
        cam = cam.to(setup.device)
        r = render(frame_gaussians(setup, motion, int(t), cam), cam, backend=backend, background=list(background))
        out.append((r.rgb[..., :3].clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy())
    return np.stack(out)


def render_reconstruction(setup: Setup, motion: Motion, *, backend: str = "auto") -> np.ndarray:
    """Re-render every frame of the motion from its own tracked camera: uint8 (T,H,W,3)."""
    cams = motion.cameras() if motion.K is not None else [setup.camera0] * len(motion)
    return render_frames(setup, motion, cams, range(len(motion)), backend=backend)


def orbit_cameras(center: Sequence[float], radius: float, n: int, *, width: int, height: int,
                  elevation_deg: float = 20.0, start_deg: float = 0.0, turns: float = 1.0,
                  fov_deg: float = 55.0) -> list[Camera]:
    """``n`` cameras on a horizontal circle (+Z up) around ``center``, looking at it from ``elevation_deg`` above."""
    cx, cy, cz = (float(c) for c in center)
    cams = []
    el = math.radians(elevation_deg)
    for i in range(n):
        az = math.radians(start_deg) + 2 * math.pi * turns * i / max(n, 1)
        eye = (cx + radius * math.cos(el) * math.cos(az), cy + radius * math.cos(el) * math.sin(az),
               cz + radius * math.sin(el))
        cams.append(Camera.look_at(eye, (cx, cy, cz), width=width, height=height, fov_deg=fov_deg))
    return cams


def motion_center_and_radius(setup: Setup, motion: Motion) -> tuple[np.ndarray, float]:
    """Centre of the action (mean pelvis, object included) and an orbit radius that keeps it all in view."""
    pts = motion.body.transl.detach().cpu().numpy()
    body_model = getattr(setup.avatar, "body_model", None)
    if body_model is not None:
        with torch.no_grad():
            joints = body_model(motion.body.to(setup.device)).joints.detach().cpu().numpy()
        pts = joints.reshape(-1, 3)
    if motion.object_poses is not None:
        pts = np.concatenate([pts, motion.object_poses[:, :3, 3].detach().cpu().numpy()])
    lo, hi = pts.min(0), pts.max(0)
    center = (lo + hi) / 2
    radius = max(2.5, 1.6 * float(np.linalg.norm(hi - lo)) + 1.5)
    return center, radius


def render_orbit(setup: Setup, motion: Motion, path: str | os.PathLike, *, num_frames: Optional[int] = None,
                 width: Optional[int] = None, height: Optional[int] = None, radius: Optional[float] = None,
                 elevation_deg: float = 20.0, turns: float = 1.0, fps: Optional[float] = None,
                 backend: str = "auto") -> np.ndarray:
    """Free-viewpoint video of the 4D result: the camera circles the action while the motion plays.

    Output frame i shows motion frame ``i * T // num_frames`` (the motion plays once over one orbit by default);
    size defaults to the first camera's. Writes ``path`` (mp4) and returns the uint8 frames (N,H,W,3).
    """
    T = len(motion)
    n = int(num_frames or max(T, 24))
    width = int(width or setup.camera0.width)
    height = int(height or setup.camera0.height)
    center, auto_radius = motion_center_and_radius(setup, motion)
    cams = orbit_cameras(center, radius or auto_radius, n, width=width, height=height, elevation_deg=elevation_deg,
                         turns=turns)
    frame_ids = [min(T - 1, i * T // n) for i in range(n)]
    frames = render_frames(setup, motion, cams, frame_ids, backend=backend)
    write_video(path, frames, fps or motion.fps)
    return frames
