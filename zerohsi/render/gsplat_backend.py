"""The ``gsplat`` render backend: ``gsplat.rasterization`` on CUDA (gsplat is optional and imported lazily)."""

from __future__ import annotations

from typing import Any

import torch

from zerohsi.cameras import Camera
from zerohsi.errors import UserError
from zerohsi.gaussians import Gaussians

#: options of the torch backend that mean nothing here (so one call site can serve both backends)
_TORCH_ONLY = ("chunk", "tile_size", "custom_backward", "extent_sigma", "opacity_aware")


def rasterize_gsplat(gaussians: Gaussians, camera: Camera, values: torch.Tensor, background: torch.Tensor,
                     options: Any, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, Any]]:
    """values (N,C), background (C,) -> image (H,W,C), expected depth (H,W), alpha (H,W), meta.

    Extra keyword options go to ``gsplat.rasterization`` (e.g. ``packed``; its own ``tile_size`` is given as
    ``gsplat_tile_size``). gsplat computes in float32; outputs are cast back to the input dtype.
    """
    kwargs = {k: v for k, v in kwargs.items() if k not in _TORCH_ONLY}
    if "gsplat_tile_size" in kwargs:
        kwargs["tile_size"] = kwargs.pop("gsplat_tile_size")
    try:
        from gsplat import rasterization
    except ImportError as exc:
        raise UserError("The gsplat render backend needs gsplat: `pip install 'zerohsi[gsplat]'` "
                        f"(import failed: {exc}), or use render backend 'torch'.") from None
    if gaussians.device.type != "cuda":
        raise UserError("The gsplat render backend needs CUDA tensors; move the Gaussians to a GPU or use "
                        "render backend 'torch'.")
    dev, dtype = gaussians.device, values.dtype
    f32 = torch.float32
    colors, alphas, meta = rasterization(
        gaussians.means.to(f32), gaussians.quats.to(f32), gaussians.scales.to(f32), gaussians.opacities.to(f32),
        values.to(f32), camera.world_to_cam.to(dev, f32)[None], camera.K.to(dev, f32)[None],
        int(camera.width), int(camera.height), near_plane=options.near_plane, far_plane=options.far_plane,
        eps2d=options.eps2d, render_mode="RGB+ED", backgrounds=background.to(f32)[None],
        rasterize_mode="antialiased" if options.antialiased else "classic", **kwargs)
    image = colors[0].to(dtype)
    return image[..., :-1], image[..., -1], alphas[0, ..., 0].to(dtype), dict(meta)
