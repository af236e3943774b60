"""Videos users watch: mp4 writing, the fit over the source, side-by-side comparisons and free-viewpoint orbits.

Reusable render helpers: :func:`render_motion` (raw renders of chosen frames and cameras), :func:`render_frames`,
:func:`render_reconstruction` (every frame from its tracked camera) and :func:`render_reconstruction_layers` (the same
with the body's and object's coverage).

All mp4s are H.264 / yuv420p (plays in every browser), padded to even sizes, and written atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import torch

from zerohsi.cameras import Camera
from zerohsi.video.io import resize_frames, write_mp4

if TYPE_CHECKING:
    from zerohsi.clip_setup import Setup
    from zerohsi.gaussians import Gaussians
    from zerohsi.motion import Motion
    from zerohsi.render.api import Render
    from zerohsi.segment.masks import Masks

HUMAN_COLOR = np.array([255, 80, 60], dtype=np.float32)
OBJECT_COLOR = np.array([60, 140, 255], dtype=np.float32)
#: segmentation-mask outlines over the fit: colours the tints do not use
HUMAN_OUTLINE = np.array([255, 230, 0], dtype=np.float32)
OBJECT_OUTLINE = np.array([0, 255, 255], dtype=np.float32)


# -- compositing ---------------------------------------------------------------------------------------------------
@dataclass
class ReconstructionFrames:
    """The re-rendered reconstruction of every frame: rgb uint8 (T,H,W,3) and the rendered, occlusion-aware
    coverage of the fitted body and object, float (T,H,W) in [0,1] (None when the render had no part channels)."""

    rgb: np.ndarray
    human: Optional[np.ndarray] = None
    object: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.rgb)

    @classmethod
    def from_renders(cls, renders: Sequence[Render]) -> ReconstructionFrames:
        """Stack renders made with ``with_groups=True`` (groups 0 scene, 1 human, 2 object)."""
        rgb = np.stack([(r.rgb[..., :3].clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy() for r in renders])
        groups = [r.groups for r in renders]
        if any(g is None for g in groups):
            return cls(rgb)
        G = np.stack([g.clamp(0, 1).float().cpu().numpy() for g in groups])
        return cls(rgb, G[..., 1] if G.shape[-1] > 1 else None, G[..., 2] if G.shape[-1] > 2 else None)

    def slice(self, n: int) -> ReconstructionFrames:
        cut = lambda a: None if a is None else a[:n]  # noqa: E731
        return ReconstructionFrames(self.rgb[:n], cut(self.human), cut(self.object))

    def resized(self, height: int, width: int) -> ReconstructionFrames:
        if self.rgb.shape[1:3] == (height, width):
            return self
        soft = lambda a: None if a is None else _resize_soft(a, height, width)  # noqa: E731
        return ReconstructionFrames(resize_frames(self.rgb, height, width), soft(self.human), soft(self.object))


def fit_overlay(source: np.ndarray, recon: ReconstructionFrames, masks: Optional[Masks] = None,
                alpha: float = 0.6) -> np.ndarray:
    """The fit over the source: the fitted body tinted red and the object blue, each by its rendered coverage (so
    a leg the fit put in the wrong place is a red leg off the person), and the segmentation masks as outlines (yellow
    human, cyan object), the target the fit was pulled toward. (T,H,W,3) uint8, same size as ``source``."""
    out = source.astype(np.float32)
    if recon.human is None and recon.object is None:  # no part channels: blend the whole re-render instead
        out = 0.5 * out + 0.5 * recon.rgb.astype(np.float32)
    for cover, color in ((recon.human, HUMAN_COLOR), (recon.object, OBJECT_COLOR)):
        if cover is not None:
            a = (alpha * cover)[..., None]
            out = (1 - a) * out + a * color
    if masks is not None:
        for m, color in ((masks.human, HUMAN_OUTLINE), (masks.object, OBJECT_OUTLINE)):
            if m is None:
                continue
            m = _fit_masks(np.asarray(m, dtype=bool)[:len(out)], source.shape[1:3])
            out = np.where((m & ~_erode(m))[..., None], color, out)
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


def _resize_soft(a: np.ndarray, height: int, width: int) -> np.ndarray:
    x = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[:, None]
    return torch.nn.functional.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)[:, 0].numpy()


def caption_band(frames: np.ndarray, text: str) -> np.ndarray:
    """Frames with a dark band above them holding ``text`` (white): the caption never covers the picture.
    (T,H,W,3) -> (T,H+band,W,3); the font scales with the frame height, the text is cut to the frame's width."""
    from PIL import Image, ImageDraw, ImageFont

    H, W = frames.shape[1:3]
    size = int(np.clip(H // 9, 9, 22))
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        font = ImageFont.load_default()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    _, y0, _, y1 = probe.textbbox((0, 0), "Ag|", font=font)  # one band height for every caption of a size
    band = (y1 - y0) + 4 + (y1 - y0) % 2  # even, so stacked panels stay yuv420p-friendly
    img = Image.new("RGB", (W, band), (24, 24, 24))
    ImageDraw.Draw(img).text((3, 2 - y0), text, fill=(255, 255, 255), font=font)
    strip = np.broadcast_to(np.asarray(img), (len(frames), band, W, 3))
    return np.concatenate([strip, frames], axis=1)


def side_by_side(source: np.ndarray, recon: ReconstructionFrames | np.ndarray, masks: Optional[Masks] = None,
                 labels: Sequence[str] | None = ("source", "reconstruction", "fit over source")) -> np.ndarray:
    """(T,band+H,3W,3): source | re-rendered reconstruction | :func:`fit_overlay`, captions in a band above.

    recon (a :class:`ReconstructionFrames`, or bare uint8 frames without part coverage) is resized to the source's
    size when they differ; T is the shorter of the two; ``labels=None`` leaves the band out.
    """
    if not isinstance(recon, ReconstructionFrames):
        recon = ReconstructionFrames(np.asarray(recon))
    T = min(len(source), len(recon))
    source = np.asarray(source[:T])
    recon = recon.slice(T).resized(source.shape[1], source.shape[2])
    if masks is not None:
        from zerohsi.segment.masks import Masks

        masks = Masks(np.asarray(masks.human)[:T], None if masks.object is None else np.asarray(masks.object)[:T])
    panels = [source, recon.rgb, fit_overlay(source, recon, masks)]
    if labels:
        panels = [caption_band(p, text) for p, text in zip(panels, labels, strict=True)]
    return np.concatenate(panels, axis=2)


def write_side_by_side(path: str | os.PathLike, source: np.ndarray, recon: ReconstructionFrames | np.ndarray,
                       masks: Optional[Masks], fps: float) -> None:
    """Write the source | reconstruction | fit-over-source comparison mp4 (uint8 (T,H,W,3) source)."""
    write_mp4(path, side_by_side(source, recon, masks), fps)


# -- rendering the 4D result ---------------------------------------------------------------------------------------
def frame_gaussians(setup: Setup, motion: Motion, t: int, camera: Camera, *, with_scene: bool = True
                    ) -> Gaussians:
    """Scene + avatar (posed at frame t, coloured for ``camera``) + object (at its frame-t pose), groups 0/1/2."""
    from zerohsi.composition import composite

    pose = motion.object_poses[t] if motion.object_poses is not None else None
    return composite(setup, motion.body[t], pose, camera, with_scene=with_scene)


@torch.no_grad()
def render_motion(setup: Setup, motion: Motion, cameras: Sequence[Camera], frame_ids: Sequence[int], *,
                  backend: str = "auto", background: Sequence[float] = (0.0, 0.0, 0.0),
                  with_groups: bool = False) -> list[Render]:
    """The raw renders of motion frame ``frame_ids[i]`` from ``cameras[i]`` (part coverage with ``with_groups``)."""
    from zerohsi.render import render

    out = []
    for cam, t in zip(cameras, frame_ids, strict=True):
        cam = cam.to(setup.device)
        out.append(render(frame_gaussians(setup, motion, int(t), cam), cam, backend=backend,
                          background=list(background), with_groups=with_groups))
    return out


def render_frames(setup: Setup, motion: Motion, cameras: Sequence[Camera], frame_ids: Sequence[int], *,
                  backend: str = "auto", background: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """Render motion frame ``frame_ids[i]`` from ``cameras[i]``; returns uint8 (N,H,W,3)."""
    renders = render_motion(setup, motion, cameras, frame_ids, backend=backend, background=background)
    return ReconstructionFrames.from_renders(renders).rgb


def motion_cameras(setup: Setup, motion: Motion) -> list[Camera]:
    """Each frame's tracked camera (the first camera for every frame when the motion carries none)."""
    return motion.cameras() if motion.K is not None else [setup.camera0] * len(motion)


def render_reconstruction(setup: Setup, motion: Motion, *, backend: str = "auto") -> np.ndarray:
    """Re-render every frame of the motion from its own tracked camera: uint8 (T,H,W,3)."""
    return render_frames(setup, motion, motion_cameras(setup, motion), range(len(motion)), backend=backend)


def render_reconstruction_layers(setup: Setup, motion: Motion, *, backend: str = "auto",
                                 background: Sequence[float] = (0.0, 0.0, 0.0)) -> ReconstructionFrames:
    """:func:`render_reconstruction` with the body's and object's rendered coverage (for :func:`fit_overlay`)."""
    renders = render_motion(setup, motion, motion_cameras(setup, motion), range(len(motion)), backend=backend,
                            background=background, with_groups=True)
    return ReconstructionFrames.from_renders(renders)


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
    write_mp4(path, frames, fps or motion.fps)
    return frames
