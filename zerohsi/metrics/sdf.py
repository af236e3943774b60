"""Chunked signed-distance queries and rigid changes of frame used by the contact and penetration metrics."""

from __future__ import annotations

from collections.abc import Callable

import torch

from zerohsi.geometry import invert_transform

#: points per SDF call: analytic and grid SDFs alike stay within a few hundred MB
SDF_CHUNK = 262_144


def query_sdf(sdf: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """(...,3) points in metres -> (...) signed distance in metres (negative inside), evaluated in chunks."""
    flat = points.reshape(-1, 3)
    with torch.no_grad():
        parts = [torch.as_tensor(sdf(flat[i:i + SDF_CHUNK])).reshape(-1).float()
                 for i in range(0, flat.shape[0], SDF_CHUNK)]
    out = torch.cat(parts) if parts else flat.new_zeros(0)
    return out.reshape(points.shape[:-1])


def to_object_frame(points: torch.Tensor, object_poses: torch.Tensor) -> torch.Tensor:
    """(T,N,3) world points, (T,4,4) object-to-world poses -> (T,N,3) points in each frame's object frame."""
    w2o = invert_transform(object_poses.float())
    return points @ w2o[:, :3, :3].transpose(-1, -2) + w2o[:, None, :3, 3]
