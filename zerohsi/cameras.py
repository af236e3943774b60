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

    def fitted(self, width: int, height: int) -> Camera:
        """The view at ``width`` x ``height`` with square pixels kept: scaled to cover the new frame, then cropped
        about the centre (a 3:2 capture camera becomes a 16:9 one by losing a strip top and bottom)."""
        s = max(width / self.width, height / self.height)
        K = self.K.clone()
        K[:2] *= s
        K[0, 2] -= 0.5 * (s * self.width - width)
        K[1, 2] -= 0.5 * (s * self.height - height)
        return replace(self, K=K, width=int(width), height=int(height))

    def transformed(self, T: torch.Tensor, scale: float = 1.0) -> Camera:
        """The same camera after the world moved by x -> scale * R x + t (``T`` (4,4) holding R and t): what a
        capture's camera becomes when its scene is aligned (rotated, scaled to metres, floor shifted)."""
        from zerohsi.geometry import invert_transform

        c2w = self.cam_to_world.clone()
        T = torch.as_tensor(T, dtype=c2w.dtype)
        c2w[:3, 3] = scale * (T[:3, :3] @ c2w[:3, 3]) + T[:3, 3]
        c2w[:3, :3] = T[:3, :3] @ c2w[:3, :3]
        return replace(self, world_to_cam=invert_transform(c2w))

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


# -- a capture's cameras: COLMAP, nerfstudio transforms.json, INRIA 3DGS cameras.json ---------------------------
#: COLMAP camera model id -> (name, number of parameters), as in COLMAP's cameras.bin
_COLMAP_MODELS = {0: ("SIMPLE_PINHOLE", 3), 1: ("PINHOLE", 4), 2: ("SIMPLE_RADIAL", 4), 3: ("RADIAL", 5),
                  4: ("OPENCV", 8), 5: ("OPENCV_FISHEYE", 8), 6: ("FULL_OPENCV", 12), 7: ("FOV", 5),
                  8: ("SIMPLE_RADIAL_FISHEYE", 4), 9: ("RADIAL_FISHEYE", 5), 10: ("THIN_PRISM_FISHEYE", 12)}


def _colmap_dir(path: str | os.PathLike):
    """The folder holding cameras.{txt,bin} + images.{txt,bin}: ``path`` itself, or sparse/0 or sparse below it."""
    from pathlib import Path

    root = Path(path)
    if root.is_file():
        root = root.parent
    for cand in (root, root / "sparse" / "0", root / "sparse"):
        for ext in ("txt", "bin"):
            if (cand / f"cameras.{ext}").is_file() and (cand / f"images.{ext}").is_file():
                return cand, ext
    return None, None


def _colmap_text(folder) -> tuple[dict, list]:
    intr: dict[int, tuple[str, int, int, list[float]]] = {}
    for line in (folder / "cameras.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            f = line.split()
            intr[int(f[0])] = (f[1], int(f[2]), int(f[3]), [float(x) for x in f[4:]])
    images = []
    lines = [ln for ln in (folder / "images.txt").read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    # each image takes two lines: its pose, then its 2D points (which may be empty)
    for i in range(0, len(lines), 2):
        f = lines[i].split()
        if len(f) < 10:
            continue
        images.append((" ".join(f[9:]), [float(x) for x in f[1:5]], [float(x) for x in f[5:8]], int(f[8])))
    return intr, images


def _colmap_binary(folder) -> tuple[dict, list]:
    import struct

    intr: dict[int, tuple[str, int, int, list[float]]] = {}
    data = (folder / "cameras.bin").read_bytes()
    (n,), off = struct.unpack_from("<Q", data, 0), 8
    for _ in range(n):
        cam_id, model_id, w, h = struct.unpack_from("<iiQQ", data, off)
        off += 24
        name, k = _COLMAP_MODELS[model_id]
        intr[cam_id] = (name, int(w), int(h), list(struct.unpack_from(f"<{k}d", data, off)))
        off += 8 * k
    images = []
    data = (folder / "images.bin").read_bytes()
    (n,), off = struct.unpack_from("<Q", data, 0), 8
    for _ in range(n):
        vals = struct.unpack_from("<i7di", data, off)
        off += 64
        end = data.index(b"\0", off)
        name = data[off:end].decode("utf-8")
        off = end + 1
        (npts,) = struct.unpack_from("<Q", data, off)
        off += 8 + 24 * npts  # skip the 2D points (x, y, point3D id)
        images.append((name, list(vals[1:5]), list(vals[5:8]), int(vals[8])))
    return intr, images


def read_colmap(path: str | os.PathLike) -> list[tuple[str, Camera]]:
    """(image name, camera) of every registered image of a COLMAP model (text or binary), sorted by image name.

    ``path``: the model folder (with cameras.txt/images.txt or cameras.bin/images.bin), a dataset folder holding
    it under sparse/0, or one of its files."""
    import struct

    from zerohsi.errors import UserError

    folder, ext = _colmap_dir(path)
    if folder is None:
        raise UserError(f"No COLMAP model at '{path}'; give a folder with cameras.txt and images.txt (or .bin), or "
                        "the dataset folder holding sparse/0.")
    try:
        intr, images = _colmap_text(folder) if ext == "txt" else _colmap_binary(folder)
        out = []
        for name, q, t, cam_id in sorted(images):
            model, w, h, params = intr[cam_id]
            out.append((name, Camera.from_colmap(q, t, model, params, w, h)))
    except (KeyError, IndexError, ValueError, UnicodeDecodeError, OSError, struct.error) as exc:
        raise UserError(f"The COLMAP model in '{folder}' could not be read ({type(exc).__name__}: {exc}); "
                        "export it again with COLMAP's model_converter.") from None
    if not out:
        raise UserError(f"The COLMAP model in '{folder}' has no registered images; pick another model.")
    return out


def camera_from_inria(entry: dict[str, Any], dtype=torch.float32) -> Camera:
    """From one entry of the ``cameras.json`` the INRIA 3DGS trainer writes: ``position`` (camera centre) and
    ``rotation`` (rows of the camera-to-world rotation, OpenCV axes), ``fx``/``fy``, ``width``/``height``; the
    principal point is the image centre (that trainer assumes so)."""
    w, h = int(entry["width"]), int(entry["height"])
    K = torch.tensor([[float(entry["fx"]), 0, w / 2], [0, float(entry["fy"]), h / 2], [0, 0, 1]], dtype=dtype)
    c2w = torch.eye(4, dtype=dtype)
    c2w[:3, :3] = torch.as_tensor(entry["rotation"], dtype=dtype)
    c2w[:3, 3] = torch.as_tensor(entry["position"], dtype=dtype)
    from zerohsi.geometry import invert_transform

    return Camera(K, invert_transform(c2w), w, h)


def read_capture_cameras(path: str | os.PathLike) -> list[tuple[str, Camera]]:
    """(name, camera) pairs of a capture, from what 3DGS users have: a COLMAP model (folder or file), a nerfstudio /
    instant-ngp ``transforms.json``, the INRIA trainer's ``cameras.json``, or zerohsi's own camera JSON."""
    from pathlib import Path

    from zerohsi.errors import UserError

    p = Path(path)
    if not p.exists():
        raise UserError(f"Camera file '{p}' does not exist; give a COLMAP folder, transforms.json or cameras.json.")
    if p.is_dir() or p.suffix in (".txt", ".bin"):
        return read_colmap(p)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot read cameras from {p}: {exc}; give a JSON camera file.") from None
    if isinstance(data, list) and data and isinstance(data[0], dict) and "rotation" in data[0]:
        try:
            return [(str(e.get("img_name", i)), camera_from_inria(e)) for i, e in enumerate(data)]
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise UserError(f"{p} is not an INRIA cameras.json ({type(exc).__name__}: {exc}); each entry needs "
                            "position, rotation, fx, fy, width and height.") from None
    if isinstance(data, dict) and "frames" in data:
        names = [str(fr.get("file_path", i)) for i, fr in enumerate(data["frames"])]
        return list(zip(names, load_cameras(p), strict=True))
    return [(str(i), c) for i, c in enumerate(load_cameras(p))]
