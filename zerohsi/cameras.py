"""Pinhole cameras in the OpenCV convention (x right, y down, z forward), world +Z up."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import torch


@dataclass
class Camera:
    """K (3,3) intrinsics in pixels; world_to_cam (4,4); image width/height in pixels."""

    K: torch.Tensor
    world_to_cam: torch.Tensor
    width: int
    height: int

    @property
    def cam_to_world(self) -> torch.Tensor:
        from zerohsi.geometry import invert_transform

        return invert_transform(self.world_to_cam)

    @property
    def center(self) -> torch.Tensor:
        """Camera centre in world coordinates (3,)."""
        return self.cam_to_world[:3, 3]

    @property
    def device(self) -> torch.device:
        return self.K.device

    def to(self, *args, **kwargs) -> "Camera":
        return replace(self, K=self.K.to(*args, **kwargs), world_to_cam=self.world_to_cam.to(*args, **kwargs))

    def with_pose(self, world_to_cam: torch.Tensor) -> "Camera":
        return replace(self, world_to_cam=world_to_cam)

    def resized(self, width: int, height: int) -> "Camera":
        """The same view at another resolution (intrinsics scaled)."""
        sx, sy = width / self.width, height / self.height
        S = torch.diag(torch.tensor([sx, sy, 1.0], dtype=self.K.dtype, device=self.K.device))
        return replace(self, K=S @ self.K, width=int(width), height=int(height))

    def project(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(...,3) world points -> ((...,2) pixel coordinates, (...,) camera-frame depth z)."""
        pc = points @ self.world_to_cam[:3, :3].T + self.world_to_cam[:3, 3]
        z = pc[..., 2]
        uv = (pc @ self.K.T)[..., :2] / z[..., None].clamp_min(1e-8)
        return uv, z

    @staticmethod
    def intrinsics(width: int, height: int, *, fov_deg: float | None = None, focal: float | None = None,
                   dtype=torch.float32) -> torch.Tensor:
        """K from a horizontal field of view (degrees) or a focal length (pixels); principal point at the centre."""
        if focal is None:
            if fov_deg is None:
                raise ValueError("give fov_deg or focal")
            focal = 0.5 * width / math.tan(math.radians(fov_deg) / 2)
        return torch.tensor([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=dtype)

    @classmethod
    def look_at(cls, eye: Sequence[float], target: Sequence[float], *, width: int, height: int,
                fov_deg: float = 60.0, focal: float | None = None, up: Sequence[float] = (0.0, 0.0, 1.0),
                dtype=torch.float32) -> "Camera":
        eye_t = torch.as_tensor(eye, dtype=dtype)
        fwd = torch.as_tensor(target, dtype=dtype) - eye_t
        fwd = fwd / fwd.norm()
        up_t = torch.as_tensor(up, dtype=dtype)
        right = torch.linalg.cross(fwd, up_t)
        if right.norm() < 1e-6:  # looking straight along `up`: pick any perpendicular
            right = torch.linalg.cross(fwd, torch.tensor([0.0, 1.0, 0.0], dtype=dtype))
        right = right / right.norm()
        down = torch.linalg.cross(fwd, right)
        R = torch.stack([right, down, fwd])  # rows: camera axes in world
        w2c = torch.eye(4, dtype=dtype)
        w2c[:3, :3] = R
        w2c[:3, 3] = -R @ eye_t
        return cls(cls.intrinsics(width, height, fov_deg=fov_deg, focal=focal, dtype=dtype), w2c, int(width),
                   int(height))
