"""Pinhole cameras in the OpenCV convention (x right, y down, z forward), world +Z up.

Conversions to and from the conventions other tools write:

- OpenGL / Blender: camera-to-world matrices whose camera looks down -Z with +Y up (``from_opengl``/``to_opengl``).
- COLMAP: world-to-camera rotation as a wxyz quaternion plus translation, OpenCV axes, camera models
  SIMPLE_PINHOLE / PINHOLE / SIMPLE_RADIAL / RADIAL / OPENCV (distortion ignored) (``from_colmap``/``to_colmap``).
- nerfstudio / instant-ngp ``transforms.json`` frames: OpenGL camera-to-world ``transform_matrix`` with ``fl_x``,
  ``fl_y``, ``cx``, ``cy``, ``w``, ``h`` (``from_nerfstudio``/``to_nerfstudio``).

Pixel centres sit at integer + 0.5 (the convention of COLMAP, 3DGS and gsplat), so K is shared unchanged.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

#: flips camera axes between OpenCV (x right, y down, z forward) and OpenGL (x right, y up, z backward)
_CV_GL = torch.diag(torch.tensor([1.0, -1.0, -1.0, 1.0]))


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

    def to(self, *args, **kwargs) -> Camera:
        return replace(self, K=self.K.to(*args, **kwargs), world_to_cam=self.world_to_cam.to(*args, **kwargs))

    def with_pose(self, world_to_cam: torch.Tensor) -> Camera:
        return replace(self, world_to_cam=world_to_cam)

    def resized(self, width: int, height: int) -> Camera:
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
                   fov_y_deg: float | None = None, dtype=torch.float32) -> torch.Tensor:
        """K from a horizontal field of view (degrees), a vertical one, or a focal length (pixels); square pixels,
        principal point at the image centre."""
        if focal is None:
            if fov_deg is not None:
                focal = 0.5 * width / math.tan(math.radians(fov_deg) / 2)
            elif fov_y_deg is not None:
                focal = 0.5 * height / math.tan(math.radians(fov_y_deg) / 2)
            else:
                raise ValueError("give fov_deg, fov_y_deg or focal")
        return torch.tensor([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=dtype)

    @property
    def fov_deg(self) -> tuple[float, float]:
        """(horizontal, vertical) field of view in degrees."""
        fx, fy = float(self.K[0, 0]), float(self.K[1, 1])
        return (math.degrees(2 * math.atan(0.5 * self.width / fx)), math.degrees(2 * math.atan(0.5 * self.height / fy)))

    # -- conventions -----------------------------------------------------------------------------------------
    @classmethod
    def from_opengl(cls, cam_to_world_gl: torch.Tensor, K: torch.Tensor, width: int, height: int) -> Camera:
        """From an OpenGL/Blender camera-to-world matrix (camera looks down -Z, +Y up), e.g. Blender's
        ``camera.matrix_world``."""
        from zerohsi.geometry import invert_transform

        c2w = torch.as_tensor(cam_to_world_gl, dtype=K.dtype) @ _CV_GL.to(K.dtype)
        return cls(K, invert_transform(c2w), int(width), int(height))

    def to_opengl(self) -> torch.Tensor:
        """(4,4) OpenGL/Blender camera-to-world matrix."""
        return self.cam_to_world @ _CV_GL.to(self.world_to_cam)

    @classmethod
    def from_colmap(cls, qvec: Sequence[float], tvec: Sequence[float], model: str, params: Sequence[float],
                    width: int, height: int, dtype=torch.float32) -> Camera:
        """From a COLMAP image (qvec wxyz and tvec: world-to-camera) and its camera (model name and parameters).

        Lens distortion parameters of the radial/OpenCV models are ignored (Gaussian splats are rendered with a
        pinhole model; undistort the images first)."""
        from zerohsi.geometry import make_transform, quat_to_matrix

        model = model.upper()
        p = [float(x) for x in params]
        if model in ("SIMPLE_PINHOLE", "SIMPLE_RADIAL", "RADIAL", "SIMPLE_RADIAL_FISHEYE", "RADIAL_FISHEYE"):
            fx = fy = p[0]
            cx, cy = p[1], p[2]
        elif model in ("PINHOLE", "OPENCV", "FULL_OPENCV", "OPENCV_FISHEYE", "THIN_PRISM_FISHEYE"):
            fx, fy, cx, cy = p[:4]
        else:
            raise ValueError(f"unsupported COLMAP camera model {model!r}")
        K = torch.tensor([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], dtype=dtype)
        R = quat_to_matrix(torch.as_tensor(qvec, dtype=dtype))
        return cls(K, make_transform(R, torch.as_tensor(tvec, dtype=dtype)), int(width), int(height))

    def to_colmap(self) -> dict[str, Any]:
        """COLMAP fields: ``qvec`` (wxyz), ``tvec``, ``model`` "PINHOLE", ``params`` [fx, fy, cx, cy], width, height."""
        from zerohsi.geometry import matrix_to_quat

        q = matrix_to_quat(self.world_to_cam[:3, :3].double())
        K = self.K.double()
        return {"qvec": q.tolist(), "tvec": self.world_to_cam[:3, 3].double().tolist(), "model": "PINHOLE",
                "params": [float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2])],
                "width": int(self.width), "height": int(self.height)}

    @classmethod
    def from_nerfstudio(cls, frame: dict[str, Any], meta: dict[str, Any] | None = None,
                        dtype=torch.float32) -> Camera:
        """From one ``transforms.json`` frame; intrinsics come from the frame or, when absent there, from the file's
        top level ``meta`` (``fl_x``/``fl_y``/``cx``/``cy``/``w``/``h``, or ``camera_angle_x`` as instant-ngp writes).
        """
        meta = meta or {}

        def get(key: str, default: Any = None) -> Any:
            return frame.get(key, meta.get(key, default))

        w, h = get("w"), get("h")
        if w is None or h is None:
            raise ValueError("transforms.json frame has no image size (w, h)")
        fx = get("fl_x")
        if fx is None:
            angle = get("camera_angle_x")
            if angle is None:
                raise ValueError("transforms.json frame has neither fl_x nor camera_angle_x")
            fx = 0.5 * float(w) / math.tan(0.5 * float(angle))
        fy = get("fl_y", fx)
        K = torch.tensor([[float(fx), 0, float(get("cx", w / 2))], [0, float(fy), float(get("cy", h / 2))],
                          [0, 0, 1]], dtype=dtype)
        c2w = torch.as_tensor(frame["transform_matrix"], dtype=dtype)
        if c2w.shape == (3, 4):
            c2w = torch.cat([c2w, torch.tensor([[0, 0, 0, 1]], dtype=dtype)])
        return cls.from_opengl(c2w, K, int(w), int(h))

    def to_nerfstudio(self) -> dict[str, Any]:
        """A ``transforms.json`` frame with its own intrinsics."""
        K = self.K.double()
        return {"transform_matrix": self.to_opengl().double().tolist(), "fl_x": float(K[0, 0]),
                "fl_y": float(K[1, 1]), "cx": float(K[0, 2]), "cy": float(K[1, 2]), "w": int(self.width),
                "h": int(self.height)}

    # -- plain serialisation ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: {"K": 3x3, "world_to_cam": 4x4, "width", "height"} (OpenCV convention)."""
        return {"K": self.K.detach().double().tolist(), "world_to_cam": self.world_to_cam.detach().double().tolist(),
                "width": int(self.width), "height": int(self.height)}

    @classmethod
    def from_dict(cls, d: dict[str, Any], dtype=torch.float32) -> Camera:
        return cls(torch.as_tensor(d["K"], dtype=dtype), torch.as_tensor(d["world_to_cam"], dtype=dtype),
                   int(d["width"]), int(d["height"]))

    @classmethod
    def look_at(cls, eye: Sequence[float], target: Sequence[float], *, width: int, height: int,
                fov_deg: float = 60.0, focal: float | None = None, up: Sequence[float] = (0.0, 0.0, 1.0),
                dtype=torch.float32) -> Camera:
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


def load_cameras(path: str | os.PathLike) -> list[Camera]:
    """Cameras from a JSON file: zerohsi's own ({"K", "world_to_cam", "width", "height"}, one or a list, or
    {"cameras": [...]}) or a nerfstudio/instant-ngp ``transforms.json`` ({"frames": [...]})."""
    from zerohsi.errors import UserError

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot read cameras from {path}: {exc}; give a JSON camera file.") from None
    try:
        if isinstance(data, dict) and "frames" in data:
            return [Camera.from_nerfstudio(fr, data) for fr in data["frames"]]
        items = data.get("cameras", [data]) if isinstance(data, dict) else data
        cams = [Camera.from_dict(c) for c in items]
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise UserError(f"{path} is not a camera file ({type(exc).__name__}: {exc}); expected objects with K, "
                        "world_to_cam, width and height, or a transforms.json with frames.") from None
    if not cams:
        raise UserError(f"{path} holds no cameras; add at least one.")
    return cams


def save_cameras(path: str | os.PathLike, cameras: Sequence[Camera]) -> None:
    """Write cameras in zerohsi's JSON format (atomically)."""
    from zerohsi.io import atomic_write_json

    atomic_write_json(path, {"cameras": [c.to_dict() for c in cameras]})
