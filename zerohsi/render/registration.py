"""Built-in render backends (import-light: heavy modules are imported inside the factories).

A render_backend factory returns a function following ``zerohsi.render.api.BackendFn``; ``render(...,
backend="name")`` builds it once and calls it with per-Gaussian channels already evaluated for the view.
"""

from __future__ import annotations


def _torch_backend(cfg):
    from zerohsi.render.torch_backend import rasterize_torch

    return rasterize_torch


def _gsplat_backend(cfg):
    from zerohsi.render.gsplat_backend import rasterize_gsplat

    return rasterize_gsplat


def register(register) -> None:
    register("torch", _torch_backend,
             description="Pure-PyTorch tile rasteriser (CPU or GPU), differentiable, hand-written backward.")
    register("gsplat", _gsplat_backend, description="gsplat.rasterization on CUDA (needs the gsplat extra).")
