"""Differentiable Gaussian rendering: ``render(gaussians, camera) -> Render`` with torch and gsplat backends.

Names are imported lazily so that importing ``zerohsi.render.registration`` (plugin listing) stays light.
"""

from __future__ import annotations

from typing import Any

_API = ("render", "Render", "RenderOptions", "group_features", "part_masks", "gaussian_colors", "get_backend",
        "gsplat_available", "SCENE", "HUMAN", "OBJECT", "GROUP_NAMES")
__all__ = list(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        from zerohsi.render import api

        return getattr(api, name)
    raise AttributeError(f"module 'zerohsi.render' has no attribute {name!r}")
