"""The appearance gap of the scripted test signal: how its pixels differ from what the reconstruction models.

A reconstruction that re-renders the exact same avatar, lighting and camera would be tested on an unrealistically
easy signal. These seeded perturbations stand in for the differences between a generated video and the scene model:
lighting gain and colour tint (one draw per clip, like a different exposure), sensor noise (per frame), optical blur
and a small smooth camera shake (whose true cameras are part of the ground truth).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from zerohsi.cameras import Camera
from zerohsi.geometry import axis_angle_to_matrix, make_transform
from zerohsi.video.configs import AppearanceGapConfig


class ImageGap:
    """Per-clip lighting draw + per-frame noise; ``apply(rgb (H,W,3) float [0,1], frame) -> (H,W,3)``."""

    def __init__(self, cfg: AppearanceGapConfig, seed: int):
        self.cfg = cfg
        self.seed = int(seed)
        g = torch.Generator().manual_seed(self.seed)
        self.gain = 1.0 + cfg.gain * (2 * torch.rand(1, generator=g).item() - 1)
        self.tint = 1.0 + cfg.tint * (2 * torch.rand(3, generator=g) - 1)
        self.kernel = _gaussian_kernel(cfg.blur_px) if cfg.blur_px > 0 else None

    def apply(self, rgb: torch.Tensor, frame: int) -> torch.Tensor:
        x = rgb.float() * (self.gain * self.tint.to(rgb.device))
        if self.kernel is not None:
            k = self.kernel.to(rgb.device)
            r = k.shape[-1] // 2
            img = x.permute(2, 0, 1)[:, None]  # (3,1,H,W): one channel per batch item
            img = F.pad(img, (r, r, 0, 0), mode="replicate")
            img = F.conv2d(img, k.reshape(1, 1, 1, -1))
            img = F.pad(img, (0, 0, r, r), mode="replicate")
            img = F.conv2d(img, k.reshape(1, 1, -1, 1))
            x = img[:, 0].permute(1, 2, 0)
        if self.cfg.noise > 0:
            g = torch.Generator().manual_seed(self.seed * 100003 + int(frame))
            x = x + self.cfg.noise * torch.randn(x.shape, generator=g).to(x.device)
        return x.clamp(0.0, 1.0)


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    r = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def shaken_cameras(camera: Camera, num_frames: int, cfg: AppearanceGapConfig, seed: int) -> list[Camera]:
    """``num_frames`` cameras around ``camera``: a smooth hand-held shake (sum of three sinusoids per axis with
    seeded phases, at 0.3-1.5 cycles per clip) of about ``shake_deg`` degrees and ``shake_m`` metres std, zero at
    frame 0 (the first frame is the one the clip starts from)."""
    if cfg.shake_deg <= 0 and cfg.shake_m <= 0:
        return [camera] * num_frames
    g = torch.Generator().manual_seed(int(seed) + 4099)
    t = torch.linspace(0, 1, num_frames)[:, None]
    freqs = 0.3 + 1.2 * torch.rand(2, 3, 3, generator=g)  # (rot/trans, axis, component)
    phases = 2 * math.pi * torch.rand(2, 3, 3, generator=g)

    def signal(i: int) -> torch.Tensor:
        s = torch.sin(2 * math.pi * freqs[i][None] * t[..., None] + phases[i][None]).sum(-1)  # (T,3)
        s = s - s[:1]  # no shake at frame 0
        return s / s.std().clamp_min(1e-6)

    rot = math.radians(cfg.shake_deg) * signal(0)
    trans = cfg.shake_m * signal(1)
    out = []
    for k in range(num_frames):
        D = make_transform(axis_angle_to_matrix(rot[k]), trans[k]).to(camera.world_to_cam)
        out.append(camera.with_pose(D @ camera.world_to_cam))  # a small motion in the camera's own frame
    return out
