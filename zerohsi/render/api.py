"""``render``: one call that rasterises Gaussians through a camera, with interchangeable backends.

Semantics mirror ``gsplat.rasterization`` (activated parameters, OpenCV camera, 0.3 px low-pass, classic 3DGS
compositing). Colour, optional extra feature channels, per-group coverage and depth are all rendered in one pass.

Per-part masks: set ``with_groups=True`` (Gaussians need a ``group`` id: 0 scene, 1 human, 2 object) and read
``Render.groups`` (H,W,G), the soft visible coverage of every group with occlusion handled by compositing (a human
behind a sofa does not show up), or ``Render.part_masks()`` for thresholded boolean masks by name. The same channels
can be built by hand with :func:`group_features` and passed as ``features=``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians

SCENE, HUMAN, OBJECT = 0, 1, 2
GROUP_NAMES = ("scene", "human", "object")


@dataclass
class Render:
    """One rendered view.

    rgb (H,W,D) colour (D=3 for RGB/SH Gaussians) including the background; depth (H,W) expected camera depth
    (accumulated depth / alpha, 0 where alpha is 0); alpha (H,W) accumulated opacity; features (H,W,F) or None;
    groups (H,W,G) per-group coverage or None; meta: backend-specific extras (e.g. ``radii``, ``means2d``).
    """

    rgb: torch.Tensor
    depth: torch.Tensor
    alpha: torch.Tensor
    features: Optional[torch.Tensor] = None
    groups: Optional[torch.Tensor] = None
    meta: dict[str, Any] = field(default_factory=dict)

    def part_masks(self, threshold: float = 0.5, names: Sequence[str] = GROUP_NAMES) -> dict[str, torch.Tensor]:
        """Boolean (H,W) masks per group name where that group's visible coverage exceeds ``threshold``."""
        if self.groups is None:
            raise ValueError("render with with_groups=True to get part masks")
        return {name: self.groups[..., i] > threshold for i, name in enumerate(names) if i < self.groups.shape[-1]}


def group_features(gaussians: Gaussians, num_groups: int = 3) -> torch.Tensor:
    """(N, num_groups) one-hot of ``gaussians.group`` (all scene when it has none), for ``render(features=...)``."""
    n = len(gaussians)
    group = gaussians.group if gaussians.group is not None else torch.zeros(n, dtype=torch.long,
                                                                               device=gaussians.device)
    out = torch.zeros(n, num_groups, dtype=gaussians.means.dtype, device=gaussians.device)
    ok = (group >= 0) & (group < num_groups)
    out[torch.nonzero(ok).squeeze(1), group[ok]] = 1.0
    return out


def part_masks(render: Render, threshold: float = 0.5) -> dict[str, torch.Tensor]:
    """Same as :meth:`Render.part_masks`."""
    return render.part_masks(threshold)


def gaussian_colors(gaussians: Gaussians, camera: Camera, sh_degree: int | None = None) -> torch.Tensor:
    """(N,D) per-Gaussian colour for this view: SH evaluated toward the camera, or the stored features."""
    if gaussians.colors.dim() == 3:
        from zerohsi.render.project import eval_sh

        dirs = gaussians.means - camera.center.to(gaussians.means)
        return eval_sh(gaussians.colors, dirs, sh_degree)
    return gaussians.colors


@dataclass
class RenderOptions:
    """Knobs shared by every backend (gsplat's names and defaults)."""

    near_plane: float = 0.01
    far_plane: float = 1e10
    eps2d: float = 0.3
    antialiased: bool = False
    sh_degree: Optional[int] = None


def render(gaussians: Gaussians, camera: Camera, *, features: torch.Tensor | None = None, backend: str = "auto",
           background: torch.Tensor | Sequence[float] | None = None, with_groups: bool = False, num_groups: int = 3,
           near_plane: float = 0.01, far_plane: float = 1e10, eps2d: float = 0.3, antialiased: bool = False,
           sh_degree: int | None = None, **backend_options: Any) -> Render:
    """Render ``gaussians`` through ``camera``; differentiable w.r.t. every Gaussian tensor and the camera pose.

    features (N,F) extra per-Gaussian channels rendered in the same pass; background (D,) colour behind everything
    (default black); backend "auto" (gsplat on CUDA when importable, else torch), "torch", "gsplat" or any registered
    ``render_backend``. Extra keyword options go to the backend (torch: ``tile_size``, ``chunk``,
    ``custom_backward``, ``extent_sigma``, ``opacity_aware``; gsplat ignores those and passes others on).

    Returns a :class:`Render`: rgb (H,W,D), depth (H,W), alpha (H,W), features (H,W,F) or None, groups (H,W,G) or
    None when ``with_groups`` is False.
    """
    fn = get_backend(backend, gaussians.device)
    opts = RenderOptions(near_plane, far_plane, eps2d, antialiased, sh_degree)
    colors = gaussian_colors(gaussians, camera, sh_degree)
    D = colors.shape[1]
    channels = [colors]
    if features is not None:
        if features.shape[0] != len(gaussians):
            raise ValueError(f"features has {features.shape[0]} rows for {len(gaussians)} Gaussians")
        channels.append(features.to(colors))
    if with_groups:
        channels.append(group_features(gaussians, num_groups).to(colors))
    values = torch.cat(channels, 1) if len(channels) > 1 else colors
    bg = torch.zeros(values.shape[1], dtype=colors.dtype, device=colors.device)
    if background is not None:
        bg_t = torch.as_tensor(background, dtype=colors.dtype, device=colors.device).reshape(-1)
        if bg_t.numel() not in (1, D):
            raise ValueError(f"background has {bg_t.numel()} values for {D} colour channels")
        bg = torch.cat([bg_t.expand(D), bg[D:]])
    image, depth, alpha, meta = fn(gaussians, camera, values, bg, opts, **backend_options)
    F = features.shape[1] if features is not None else 0
    return Render(
        rgb=image[..., :D],
        depth=depth,
        alpha=alpha,
        features=image[..., D:D + F] if features is not None else None,
        groups=image[..., D + F:] if with_groups else None,
        meta=meta,
    )


#: The render_backend protocol (what a registered factory returns):
#: ``backend(gaussians, camera, values (N,C), background (C,), options: RenderOptions, **kw)
#: -> (image (H,W,C) incl. background, expected depth (H,W), alpha (H,W), meta dict)``.
#: ``values`` are per-Gaussian channels already evaluated for this view (colour, features, group one-hots).
BackendFn = Callable[..., tuple]
_BUILT: dict[str, BackendFn] = {}


def get_backend(name: str, device: torch.device | None = None) -> BackendFn:
    """Resolve a backend name ("auto" picks gsplat for CUDA tensors when it imports, else torch)."""
    if name == "auto":
        name = "gsplat" if device is not None and device.type == "cuda" and gsplat_available() else "torch"
    if name == "torch":
        from zerohsi.render.torch_backend import rasterize_torch

        return rasterize_torch
    if name == "gsplat":
        from zerohsi.render.gsplat_backend import rasterize_gsplat

        return rasterize_gsplat
    if name not in _BUILT:
        from zerohsi.plugins import get_host

        _BUILT[name] = get_host().registry("render_backend").get(name).build()
    return _BUILT[name]


@functools.lru_cache(maxsize=1)
def gsplat_available() -> bool:
    """True when CUDA is present and gsplat imports with its CUDA extension (built or JIT-compiled)."""
    if not torch.cuda.is_available():
        return False
    try:
        from gsplat.cuda._backend import _C
    except Exception:  # noqa: BLE001 - a broken optional install means "not available"
        return False
    return _C is not None
