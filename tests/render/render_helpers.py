"""Tiny scenes and a naive per-pixel 3DGS compositor used as ground truth by the render tests."""

from __future__ import annotations

import math

import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians
from zerohsi.render.project import project


def random_gaussians(n: int, seed: int = 0, dtype=torch.float32, sh_degree: int | None = None,
                     spread: float = 0.6) -> Gaussians:
    g = torch.Generator().manual_seed(seed)
    means = (torch.rand(n, 3, generator=g, dtype=torch.float64) - 0.5) * 2 * spread
    quats = torch.nn.functional.normalize(torch.randn(n, 4, generator=g, dtype=torch.float64), dim=-1)
    scales = torch.rand(n, 3, generator=g, dtype=torch.float64) * 0.08 + 0.03
    opac = torch.rand(n, generator=g, dtype=torch.float64) * 0.8 + 0.1
    if sh_degree is None:
        colors = torch.rand(n, 3, generator=g, dtype=torch.float64)
    else:
        colors = torch.randn(n, (sh_degree + 1) ** 2, 3, generator=g, dtype=torch.float64) * 0.4
    return Gaussians(means, quats, scales, opac, colors).to(dtype)


def naive_render(g: Gaussians, cam: Camera, tile: int, **extent) -> tuple[torch.Tensor, torch.Tensor]:
    """The 3DGS per-pixel loop written out literally (Python loops; tiny images only): rgb (H,W,3), alpha (H,W).

    A Gaussian is evaluated at a pixel when the pixel's tile lies in the Gaussian's tile range (as in 3DGS)."""
    p = project(g.means, g.quats, g.scales, g.opacities, cam.world_to_cam, cam.K, cam.width, cam.height, **extent)
    order = torch.argsort(p.depths)
    H, W = cam.height, cam.width
    rgb = torch.zeros(H, W, 3, dtype=torch.float64)
    alpha_img = torch.zeros(H, W, dtype=torch.float64)
    for y in range(H):
        for x in range(W):
            T = 1.0
            for i in order.tolist():
                rx, ry = p.radii[i].tolist()
                if rx <= 0 or ry <= 0:
                    continue
                mx, my = p.means2d[i].tolist()
                if not (math.floor((mx - rx) / tile) <= x // tile <= math.floor((mx + rx) / tile)
                        and math.floor((my - ry) / tile) <= y // tile <= math.floor((my + ry) / tile)):
                    continue
                a, b, c = p.conics[i].tolist()
                dx, dy = x + 0.5 - mx, y + 0.5 - my
                sigma = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy
                alpha = min(0.99, float(p.opacities[i]) * math.exp(-sigma))
                if alpha < 1.0 / 255.0:
                    continue
                next_T = T * (1 - alpha)
                if next_T < 1e-4:
                    break
                rgb[y, x] += alpha * T * g.colors[i].double()
                T = next_T
            alpha_img[y, x] = 1 - T
    return rgb, alpha_img
