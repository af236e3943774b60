"""Synthetic clips for segmenter tests and benchmarks: a textured room, a moving human-like blob and a carried box.

The clip carries an appearance gap like a generated video's: a colour gain and tint, noise, blur and camera shake;
ground-truth masks come from the same renders (visible, occlusion-aware coverage of each group).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians
from zerohsi.metrics.fidelity import mask_iou  # noqa: F401 - the tests and benchmarks score with it
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video


@dataclass
class SyntheticClip:
    """video; first_masks (T=1, from camera0 without shake); gt (T frames); setup: a minimal stand-in exposing
    scene.gaussians and camera0; cameras: the true per-frame cameras."""

    video: Video
    first_masks: Masks
    gt: Masks
    setup: Any
    cameras: list[Camera]


def _splats(means: torch.Tensor, colors: torch.Tensor, scale: float) -> Gaussians:
    n = means.shape[0]
    quats = torch.zeros(n, 4)
    quats[:, 0] = 1
    return Gaussians(means.float(), quats, torch.full((n, 3), scale), torch.full((n,), 0.95),
                     colors.float().clamp(0, 1))


def room(spacing: float = 0.08, seed: int = 0) -> Gaussians:
    """A back wall (y = 3) and a floor (z = 0), textured so camera motion is observable."""
    g = torch.Generator().manual_seed(seed)
    xs = torch.arange(-3.0, 3.0, spacing)
    zs = torch.arange(0.0, 4.0, spacing)
    X, Z = torch.meshgrid(xs, zs, indexing="ij")
    wall = torch.stack([X.reshape(-1), torch.full_like(X.reshape(-1), 3.0), Z.reshape(-1)], 1)
    stripes = 0.5 + 0.25 * torch.sin(wall[:, 0] * 5.0)[:, None] * torch.tensor([1.0, 0.6, 0.2])
    wall_c = stripes + 0.08 * torch.rand(len(wall), 3, generator=g) + torch.tensor([0.1, 0.1, 0.15])
    ys = torch.arange(-1.0, 3.0, spacing)
    X, Y = torch.meshgrid(xs, ys, indexing="ij")
    floor = torch.stack([X.reshape(-1), Y.reshape(-1), torch.zeros(X.numel())], 1)
    checker = ((torch.floor(floor[:, 0] * 2) + torch.floor(floor[:, 1] * 2)) % 2)[:, None]
    floor_c = 0.35 + 0.25 * checker * torch.tensor([1.0, 0.9, 0.7]) + 0.05 * torch.rand(len(floor), 3, generator=g)
    return _splats(torch.cat([wall, floor]), torch.cat([wall_c, floor_c]), spacing * 0.7)


def blob_person(center: torch.Tensor, n: int = 900, seed: int = 1) -> Gaussians:
    """A standing human-sized blob: blue torso, dark legs, skin-coloured head (metres, +Z up)."""
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(n, 3, generator=g)
    u = u / u.norm(dim=1, keepdim=True) * torch.rand(n, 1, generator=g) ** (1 / 3)
    body = u * torch.tensor([0.2, 0.13, 0.75]) + torch.tensor([0.0, 0.0, 0.8])
    head = body[:, 2] > 1.4
    body[head] = u[head] * 0.12 + torch.tensor([0.0, 0.0, 1.62])
    col = torch.where((body[:, 2] > 0.85)[:, None], torch.tensor([0.15, 0.3, 0.8]), torch.tensor([0.15, 0.12, 0.1]))
    col[head] = torch.tensor([0.85, 0.65, 0.5])
    return _splats(body + center, col, 0.03).with_group(1)


def box(center: torch.Tensor, size: float = 0.3, n: int = 250, seed: int = 2) -> Gaussians:
    g = torch.Generator().manual_seed(seed)
    pts = (torch.rand(n, 3, generator=g) - 0.5) * size
    return _splats(pts + center, torch.tensor([0.9, 0.45, 0.1]).expand(n, 3), 0.04).with_group(2)


def synthetic_clip(num_frames: int = 5, width: int = 96, height: int = 72, *, dynamic: bool = True,
                   shake_deg: float = 0.6, noise: float = 0.01, seed: int = 0) -> SyntheticClip:
    """Render the clip at the true (shaken) cameras with the appearance gap applied afterwards."""
    from zerohsi.geometry import axis_angle_to_matrix, make_transform
    from zerohsi.render import render

    rng = np.random.default_rng(seed)
    scene = room(seed=seed)
    cam0 = Camera.look_at((0.0, -2.2, 1.5), (0.0, 2.0, 0.9), width=width, height=height, fov_deg=60.0)
    frames, gt_h, gt_o, cams = [], [], [], []
    first = None
    for t in range(num_frames):
        c = torch.tensor([-0.6 + 0.12 * t, 1.2, 0.0])
        parts = [scene.with_group(0), blob_person(c)]
        if dynamic:
            parts.append(box(c + torch.tensor([0.38, -0.15, 0.75 + 0.03 * t])))
        g = Gaussians.cat(parts)
        if t == 0:
            first = render(g, cam0, with_groups=True).part_masks()
        if t == 0:
            cam = cam0
        else:
            aa = torch.as_tensor(rng.normal(0, math.radians(shake_deg), 3), dtype=torch.float32)
            dt = torch.as_tensor(rng.normal(0, 0.01, 3), dtype=torch.float32)
            cam = cam0.with_pose(make_transform(axis_angle_to_matrix(aa), dt) @ cam0.world_to_cam)
        out = render(g, cam, with_groups=True)
        masks = out.part_masks()
        img = out.rgb
        # the appearance gap: gain + tint + bias, blur, noise
        img = img * torch.tensor([1.08, 1.0, 0.9]) * (1.0 + 0.03 * t) + 0.02
        img = _box_blur(img)
        img = img + noise * torch.as_tensor(rng.normal(0, 1, img.shape), dtype=torch.float32)
        frames.append((img.clamp(0, 1) * 255).round().to(torch.uint8).numpy())
        gt_h.append(masks["human"].numpy())
        gt_o.append(masks["object"].numpy())
        cams.append(cam)
    video = Video(np.stack(frames), 10.0, {"generator": "synthetic-test-clip"})
    first_masks = Masks(first["human"].numpy()[None], first["object"].numpy()[None] if dynamic else None)
    gt = Masks(np.stack(gt_h), np.stack(gt_o) if dynamic else None)
    setup = SimpleNamespace(scene=SimpleNamespace(gaussians=scene), camera0=cam0, obj=object() if dynamic else None)
    return SyntheticClip(video, first_masks, gt, setup, cams)


def _box_blur(img: torch.Tensor) -> torch.Tensor:
    """A light 3x3 blur (weights 1-2-1), like a video codec's softening."""
    k = torch.tensor([0.25, 0.5, 0.25])
    x = img.permute(2, 0, 1)[:, None]
    x = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"),
                                   (k[:, None] * k[None])[None, None])
    return x[:, 0].permute(1, 2, 0)
