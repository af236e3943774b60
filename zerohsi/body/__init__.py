"""Parametric bodies and the animatable Gaussian avatar.

- ``params``: BodyParams / BodyOutput / the BodyModel protocol and CORE_JOINTS;
- ``anny_model``: the default ``anny`` backend (the ``smplx`` backend is the zerohsi-smplx plugin);
- ``avatar`` / ``appearance``: Gaussians bound to the body mesh, colour presets;
- ``poses``: semantic joint angles, pose presets, walk cycle, floor and seat placement;
- ``fitting`` / ``joint_maps``: retargeting to CORE joints, SMPL(-X)/BVH joint-name maps;
- ``bvh`` / ``motion_import``: BVH reader, BVH and AMASS import.
"""


from __future__ import annotations

from typing import Any

__all__ = ["CORE_JOINTS", "BodyModel", "BodyOutput", "BodyParams", "core_joints"]


def __getattr__(name: str) -> Any:
    # lazy, so that listing plugins (which imports zerohsi.body.registration) does not import torch
    if name in __all__:
        from zerohsi.body import params

        return getattr(params, name)
    raise AttributeError(f"module 'zerohsi.body' has no attribute {name!r}")
