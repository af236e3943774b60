"""The ``keypoint_fit`` pose initializer: one person's 2-D or 3-D keypoints, fitted with the run's body model.

Keypoints come from a :class:`KeypointDetector`. The built-in one, :class:`KeypointFile`, reads a file the user
made with any tool; a detector plugin (ViTPose, RTMPose through mmpose, ...) implements ``detect(video) ->
KeypointTrack`` and registers its own pose initializer whose factory returns ``KeypointsInitializer(cfg,
detector=TheirDetector(...))``, with :class:`~zerohsi.poseinit.config.KeypointsConfig` (or a subclass) as config.

A track names its keypoints by CORE_JOINTS; :func:`map_layout` turns the "core" and "coco17" orders into that.

- 3-D keypoints (metres, OpenCV camera frame) go to the world through each frame's tracked camera, keypoints
  missing on some frames are interpolated from the frames that have them, and the body is retargeted onto them.
- 2-D keypoints (video pixels) are fitted directly: every frame's root and body pose are optimised in one batch
  so the body's joints, projected through that frame's camera, land on the keypoints (confidence-weighted,
  Geman–McClure robust), with temporal smoothness, a weak pose prior toward the initial state, anatomical joint
  limits and a term holding the root's depth (which one view barely constrains) to the previous frame's, frame 0's
  to the initial state's.

The body keeps the initial state's shape; the poses are a starting point (``world=False``): the reconstruction fit
still moves the root.
"""

from __future__ import annotations

import json
import logging
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, runtime_checkable

import numpy as np
import torch

from zerohsi.body.params import CORE_JOINTS, BodyModel, BodyParams
from zerohsi.errors import UserError, first_line
from zerohsi.poseinit.base import PoseInit
from zerohsi.poseinit.config import KeypointsConfig
from zerohsi.poseinit.retarget import frame_ranges, interpolate_missing
from zerohsi.recon.losses import geman_mcclure
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup
    from zerohsi.refine.skeleton import FastPose

log = logging.getLogger(__name__)

COCO17: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
)
LAYOUTS: dict[str, tuple[str, ...]] = {"core": CORE_JOINTS, "coco17": COCO17}

#: COCO limb keypoints that are (nearly) the body model's joints of the same name
_COCO_LIMBS = tuple(n for n in COCO17 if n.split("_", 1)[-1] in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"))
#: COCO hips sit on the outside of the pelvis (near the greater trochanters), a few centimetres wider than the hip
#: joint centres of SMPL / anny: they count less so they do not spread the thighs
COCO_HIP_WEIGHT = 0.3
#: The midpoint of the ears is near anny's "head" joint (the top of the neck): same depth, about 3 cm higher on the
#: rest body. Nose and eyes sit ~10 cm in front of it and are not used. Weighted down for that offset.
COCO_HEAD_WEIGHT = 0.5
#: robust scale (metres) of the difference between fitted and detected hip-relative 3-D keypoints
RELATIVE_SCALE_M = 0.1


@dataclass
class KeypointTrack:
    """One person's keypoints on every video frame.

    names: the CORE_JOINTS name of each of the K keypoints; conf (T,K) in [0, 1]; exactly one of uv (T,K,2) video
    pixels (pixel centres at integer + 0.5, as the cameras) or xyz (T,K,3) metres in the OpenCV camera frame;
    weights (K,) relative fit weight of each keypoint (None: all 1); relative_xyz (T,K,3), optional with uv: the
    detector's own 3-D estimate of the keypoints in metres, relative to a point of the body, in axes parallel to the
    OpenCV camera frame (as BlazePose's world landmarks; NaN on frames without one). It tells which of two limbs is
    nearer the camera, which the 2-D points cannot.
    """

    names: tuple[str, ...]
    conf: np.ndarray
    uv: Optional[np.ndarray] = None
    xyz: Optional[np.ndarray] = None
    weights: Optional[np.ndarray] = None
    relative_xyz: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        if (self.uv is None) == (self.xyz is None):
            raise ValueError("a KeypointTrack needs exactly one of uv (2-D) or xyz (3-D)")
        self.names = tuple(self.names)
        unknown = [n for n in self.names if n not in CORE_JOINTS]
        if unknown or len(set(self.names)) != len(self.names):
            raise ValueError(f"keypoint names must be distinct CORE_JOINTS names, got {self.names}")
        T, K = len(self.points), len(self.names)
        if self.points.shape != (T, K, 3 if self.is_3d else 2) or np.shape(self.conf) != (T, K):
            raise ValueError(f"points {self.points.shape} / conf {np.shape(self.conf)} do not match {K} names")
        if self.weights is not None and np.shape(self.weights) != (K,):
            raise ValueError(f"weights must be ({K},), got {np.shape(self.weights)}")
        if self.relative_xyz is not None and (self.is_3d or np.shape(self.relative_xyz) != (T, K, 3)):
            raise ValueError(f"relative_xyz goes with uv and must be ({T},{K},3), got {np.shape(self.relative_xyz)}")

    @property
    def is_3d(self) -> bool:
        return self.xyz is not None

    @property
    def points(self) -> np.ndarray:
        return self.xyz if self.xyz is not None else self.uv

    def __len__(self) -> int:
        return int(len(self.points))

    def seen(self, min_conf: float) -> np.ndarray:
        """(T,K) bool: keypoints to use (confident and finite)."""
        return (np.nan_to_num(self.conf) >= min_conf) & np.isfinite(self.points).all(-1)

    def valid_frames(self, min_conf: float) -> np.ndarray:
        """(T,) bool: frames with a person (at least one usable keypoint)."""
        return self.seen(min_conf).any(1)

    def fit_weights(self) -> np.ndarray:
        return np.ones(len(self.names)) if self.weights is None else np.asarray(self.weights, dtype=np.float64)

    def subset(self, names: Sequence[str]) -> KeypointTrack:
        """The keypoints named ``names`` only (in the track's order)."""
        keep = [i for i, n in enumerate(self.names) if n in set(names)]
        pts = {"xyz" if self.is_3d else "uv": self.points[:, keep]}
        return KeypointTrack(tuple(self.names[i] for i in keep), self.conf[:, keep],
                             weights=None if self.weights is None else self.fit_weights()[keep],
                             relative_xyz=None if self.relative_xyz is None else self.relative_xyz[:, keep], **pts)


@runtime_checkable
class KeypointDetector(Protocol):
    """What a keypoint detector plugin implements: one person's keypoints on every frame of the video."""

    def detect(self, video: Video) -> KeypointTrack: ...


# -- layouts ------------------------------------------------------------------------------------------------------


def map_layout(points: np.ndarray, conf: np.ndarray, layout: str) -> KeypointTrack:
    """(T,K,2|3) points and (T,K) confidences in ``layout`` order -> a track named by CORE_JOINTS."""
    if layout == "core":
        kw = {"xyz" if points.shape[-1] == 3 else "uv": points}
        return KeypointTrack(CORE_JOINTS, conf, **kw)
    if layout != "coco17":
        raise ValueError(f"unknown keypoint layout {layout!r}")
    col = {n: i for i, n in enumerate(COCO17)}
    limbs = [col[n] for n in _COCO_LIMBS]
    ears = [col["left_ear"], col["right_ear"]]
    pts = np.concatenate([points[:, limbs], points[:, ears].mean(1, keepdims=True)], 1)
    # the head estimate needs both ears: one ear alone is ~8 cm to the side
    cf = np.concatenate([conf[:, limbs], conf[:, ears].min(1, keepdims=True)], 1)
    weights = np.array([COCO_HIP_WEIGHT if n.endswith("_hip") else 1.0 for n in _COCO_LIMBS] + [COCO_HEAD_WEIGHT])
    kw = {"xyz" if points.shape[-1] == 3 else "uv": pts}
    return KeypointTrack((*_COCO_LIMBS, "head"), cf, weights=weights, **kw)


def resolve_layout(requested: str, declared: Optional[str], num_keypoints: int, source: str) -> str:
    """The layout to read ``num_keypoints`` keypoints with: the config's, else the file's, else guessed from K."""
    if requested != "auto" and declared and declared != requested:
        raise UserError(f"{source} declares layout '{declared}' but pose_initializer.options.layout is "
                        f"'{requested}'; set the option to 'auto' or to the file's layout.")
    layout = requested if requested != "auto" else (declared or None)
    if layout is None:
        layout = next((name for name, order in LAYOUTS.items() if len(order) == num_keypoints), None)
        if layout is None:
            raise UserError(f"{source} has {num_keypoints} keypoints per frame, which matches no known layout; write "
                            f"{len(CORE_JOINTS)} (core) or {len(COCO17)} (coco17) keypoints per frame.")
    if layout not in LAYOUTS:
        raise UserError(f"{source} uses keypoint layout '{layout}'; use one of {', '.join(LAYOUTS)}.")
    if len(LAYOUTS[layout]) != num_keypoints:
        raise UserError(f"{source} has {num_keypoints} keypoints per frame but layout '{layout}' has "
                        f"{len(LAYOUTS[layout])}; write them in that order or choose the matching layout.")
    return layout


# -- the built-in detector: a file ---------------------------------------------------------------------------------


def _read_npz(path: Path) -> tuple[np.ndarray, Optional[str]]:
    try:
        # allow_pickle=False: a keypoint file holds plain arrays; object arrays would run code when loaded
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.ndarray):  # a bare .npy saved under an .npz name
            return data, None
        with data:
            if "keypoints" not in data.files:
                raise UserError(f"{path} has no 'keypoints' array (it has {', '.join(data.files) or 'none'}); save "
                                "the keypoints under that name.")
            layout = str(data["layout"]) if "layout" in data.files else None
            return data["keypoints"], layout
    except UserError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise UserError(f"Cannot read keypoints from {path} ({first_line(exc)}); save plain numeric arrays with "
                        "numpy.savez.") from None


def _json_frames(frames: list, path: Path) -> np.ndarray:
    rows = [np.asarray(f, dtype=np.float64) for f in frames]
    shapes = {r.shape for r in rows if r.size}
    if not shapes:
        raise UserError(f"{path} lists no keypoints on any frame; write the detector's keypoints into it.")
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise UserError(f"{path} must list, per frame, the same number of [u, v, conf] keypoints (got shapes "
                        f"{sorted(shapes)}); write one list of keypoints per frame.")
    shape = next(iter(shapes))
    return np.stack([r if r.size else np.zeros(shape) for r in rows])


def _read_json(path: Path) -> tuple[np.ndarray, Optional[str]]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        layout = None
        if isinstance(data, dict):
            layout = data.get("layout")
            data = data.get("keypoints")
        if not isinstance(data, list) or not data:
            raise ValueError("expected a list of frames")
        return _json_frames(data, path), None if layout is None else str(layout)
    except UserError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise UserError(f"Cannot read keypoints from {path} ({first_line(exc)}); write a JSON list with one list of "
                        "[u, v, conf] keypoints per frame.") from None


def _check_keypoints(arr: np.ndarray, path: Path, num_frames: int) -> None:
    if arr.dtype.kind not in "fiu" or arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        raise UserError(f"{path}: keypoints must be numbers shaped (T,K,3) [u, v, conf] or (T,K,4) [x, y, z, conf], "
                        f"got {arr.dtype} {arr.shape}; reshape them to one of those.")
    if arr.size == 0:
        raise UserError(f"{path} holds no keypoints (shape {arr.shape}); write the detector's keypoints into it.")
    if not np.isfinite(arr).all():
        raise UserError(f"{path}: keypoints contain NaN or infinite values; write missing keypoints with "
                        "confidence 0 and finite coordinates.")
    conf = arr[..., -1]
    # also catches (T,K,3) [x, y, z] files without confidences, whose depth column would pass for a confidence
    if conf.min() < 0 or conf.max() > 1 + 1e-3:
        raise UserError(f"{path}: the last column must be a confidence in [0, 1] (got {conf.min():.3g} to "
                        f"{conf.max():.3g}); append a confidence column to each keypoint.")
    if len(arr) != num_frames:
        raise UserError(f"{path} has keypoints for {len(arr)} frames but the video has {num_frames}; give one "
                        "entry per video frame (confidence 0 where nobody is visible).")


def _check_plausible(track: KeypointTrack, video: Video, source: str, min_conf: float) -> None:
    seen = track.seen(min_conf)
    if not seen.any():
        return
    pts = track.points[seen]
    if track.is_3d and np.median(pts[:, 2]) <= 0:
        raise UserError(f"{source}: the 3-D keypoints lie behind the camera; give them in the OpenCV camera frame "
                        "(x right, y down, z forward, metres).")
    if not track.is_3d and np.abs(pts).max() <= 2.0 and max(video.width, video.height) > 16:
        raise UserError(f"{source}: the 2-D keypoints look normalised to [0, 1]; give them in video pixels "
                        f"({video.width}x{video.height}).")


class KeypointFile:
    """Keypoints a user wrote to a file (.npz or .json; see KeypointsConfig.file). Never executes file content."""

    def __init__(self, path: str | Path, layout: str = "auto", min_conf: float = 0.3) -> None:
        self.path = Path(path).expanduser()
        self.layout = layout
        self.min_conf = min_conf

    def read(self) -> tuple[np.ndarray, Optional[str]]:
        """(T,K,3|4) keypoints as stored and the file's declared layout (or None)."""
        if not self.path.is_file():
            raise UserError(f"Keypoint file {self.path} does not exist; set pose_initializer.options.file to your "
                            ".npz or .json keypoints.")
        suffix = self.path.suffix.lower()
        if suffix not in (".npz", ".json"):
            raise UserError(f"Keypoint file {self.path} is neither .npz nor .json; save the keypoints in one of "
                            "those formats.")
        return _read_npz(self.path) if suffix == ".npz" else _read_json(self.path)

    def detect(self, video: Video) -> KeypointTrack:
        arr, declared = self.read()
        _check_keypoints(arr, self.path, len(video))
        layout = resolve_layout(self.layout, declared, arr.shape[1], str(self.path))
        arr = arr.astype(np.float64)
        track = map_layout(arr[..., :-1], np.clip(arr[..., -1], 0.0, 1.0), layout)
        _check_plausible(track, video, str(self.path), self.min_conf)
        return track


# -- shared helpers ------------------------------------------------------------------------------------------------


def gap_note(valid: np.ndarray) -> list[str]:
    missing = np.flatnonzero(~np.asarray(valid, dtype=bool))
    if len(missing) == 0:
        return []
    return [f"no keypoints above min_conf on frames {frame_ranges(missing)} ({len(missing)}/{len(valid)} "
            "frames); their poses follow the neighbouring frames"]


@dataclass
class Views:
    """Each frame's camera at the video's resolution: K (T,3,3) in video pixels, world_to_cam (T,4,4)."""

    K: torch.Tensor
    world_to_cam: torch.Tensor

    @classmethod
    def of(cls, cameras: Sequence[Camera], video: Video, device: torch.device, dtype: torch.dtype) -> Views:
        T = len(video)
        # camera intrinsics are for the tracked camera's resolution; the keypoints are in video pixels
        cams = [cameras[t].resized(video.width, video.height) for t in range(T)]
        return cls(torch.stack([c.K for c in cams]).to(device, dtype),
                   torch.stack([c.world_to_cam for c in cams]).to(device, dtype))

    @property
    def centers(self) -> torch.Tensor:
        R, t = self.world_to_cam[:, :3, :3], self.world_to_cam[:, :3, 3]
        return -(R.transpose(1, 2) @ t[..., None])[..., 0]

    def to_camera(self, points: torch.Tensor) -> torch.Tensor:
        """(T,N,3) world -> camera frame."""
        return points @ self.world_to_cam[:, :3, :3].transpose(1, 2) + self.world_to_cam[:, None, :3, 3]

    def project(self, points: torch.Tensor) -> torch.Tensor:
        """(T,N,3) world -> (T,N,2) video pixels (points behind the camera are clamped to just in front)."""
        pc = self.to_camera(points)
        uvw = pc @ self.K.transpose(1, 2)
        return uvw[..., :2] / pc[..., 2:].clamp_min(1e-3)


def camera_points_to_world(xyz: torch.Tensor, cameras: Sequence[Camera]) -> torch.Tensor:
    """(T,K,3) metric camera-frame points -> world through each frame's camera (already metric: no intrinsics)."""
    c2w = torch.stack([cameras[t].cam_to_world.to(torch.float64).cpu() for t in range(len(xyz))])
    return xyz @ c2w[:, :3, :3].transpose(1, 2) + c2w[:, None, :3, 3]


# -- 3-D keypoints -------------------------------------------------------------------------------------------------


def fit_3d(model: BodyModel, track: KeypointTrack, cameras: Sequence[Camera], body0: BodyParams,
           cfg: KeypointsConfig) -> BodyParams:
    """Retarget the body onto camera-frame 3-D keypoints mapped into the world; missing ones interpolated."""
    from zerohsi.body.fitting import fit_to_joints, initial_params

    seen = track.seen(cfg.min_conf)
    world = camera_points_to_world(torch.as_tensor(np.where(seen[..., None], track.xyz, 0.0)), cameras)
    targets = torch.as_tensor(interpolate_missing(world.numpy(), seen), dtype=torch.float32)
    names = list(track.names)
    T = len(track)
    dev = getattr(model, "device", torch.device("cpu"))
    init = initial_params(model, targets.to(dev), names, torch.isfinite(targets).all(-1).to(dev))
    init = init.replace(shape=body0.shape.detach().to(init.shape).expand(T, -1).clone())
    weights = dict(zip(names, track.fit_weights().tolist(), strict=True))
    return fit_to_joints(model, targets, names, weights=weights, init=init, iters=cfg.iters, smooth_weight=1e-3,
                         polish_iters=min(30, cfg.iters // 3)).params


# -- 2-D keypoints -------------------------------------------------------------------------------------------------


def initial_translation(model: BodyModel, body0: BodyParams, views: Views, joint_ids: torch.Tensor,
                        uv: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """(T,3) root translations moving the initial body (orientation and pose kept) so its joints best project onto
    the keypoints: per frame, the linear least-squares translation of a pinhole projection (a DLT-style solve)."""
    from zerohsi.body.fitting import model_joints

    with torch.no_grad():
        j0 = model_joints(model, body0)[:, joint_ids].expand(len(uv), -1, -1)
    pc = views.to_camera(j0)  # (T,K,3)
    K = views.K
    du, dv = uv[..., 0] - K[:, None, 0, 2], uv[..., 1] - K[:, None, 1, 2]
    fx, fy = K[:, None, 0, 0].expand_as(du), K[:, None, 1, 1].expand_as(dv)
    zero = torch.zeros_like(du)
    # (u - cx)(Z + dz) = fx (X + dx), and likewise for v: linear in the camera-frame shift (dx, dy, dz)
    A = torch.cat([torch.stack([fx, zero, -du], -1), torch.stack([zero, fy, -dv], -1)], 1)
    b = torch.cat([du * pc[..., 2] - fx * pc[..., 0], dv * pc[..., 2] - fy * pc[..., 1]], 1)
    sw = torch.cat([w, w], 1)[..., None]
    AtA = (A * sw).transpose(1, 2) @ A
    ridge = 1e-6 * AtA.diagonal(dim1=1, dim2=2).sum(-1)[:, None, None] + 1e-9
    shift_c = torch.linalg.solve(AtA + ridge * torch.eye(3, dtype=A.dtype, device=A.device),
                                 ((A * sw).transpose(1, 2) @ b[..., None]))[..., 0]
    shift_w = (views.world_to_cam[:, :3, :3].transpose(1, 2) @ shift_c[..., None])[..., 0]
    return body0.transl + shift_w


@dataclass
class Fit2D:
    """params (B = T); per_frame_px (T,) mean reprojection error of the used keypoints (NaN on frames without)."""

    params: BodyParams
    per_frame_px: np.ndarray


class KeypointFit2D:
    """One batched optimisation of every frame's root and free joints against 2-D keypoints."""

    def __init__(self, model: BodyModel, track: KeypointTrack, views: Views, body0: BodyParams,
                 cfg: KeypointsConfig, video_size: tuple[int, int]) -> None:
        from zerohsi.body.fitting import DEFAULT_FREE_JOINTS, free_bones
        from zerohsi.refine.joint_limits import JointLimits
        from zerohsi.refine.skeleton import FastBody

        self.model, self.views, self.cfg = model, views, cfg
        dev, dt = views.K.device, views.K.dtype
        idx = model.core_joint_index()
        self.joint_ids = torch.as_tensor([idx[n] for n in track.names], device=dev)
        # forward kinematics of the core joints only (self-checked against the model): the loop runs it ~200 times
        limited = [idx[n] for n in CORE_JOINTS if n in idx]
        self.body = FastBody(model, body0.shape.detach().cpu(), joint_ids=torch.as_tensor(limited))
        self.limits = JointLimits(self.body, model) if cfg.joint_limit_weight > 0 else None
        self.kp_pos = self.body.compact(self.joint_ids.cpu()).to(dev)
        seen = track.seen(cfg.min_conf)
        w = np.where(seen, np.clip(np.nan_to_num(track.conf), 0, 1) * track.fit_weights()[None], 0.0)
        self.w = torch.as_tensor(w, device=dev, dtype=dt)
        self.uv = torch.as_tensor(np.where(seen[..., None], track.uv, 0.0), device=dev, dtype=dt)
        self.sigma2 = (cfg.robust_scale * math.hypot(*video_size)) ** 2
        T, J = len(track), model.num_body_joints
        self.body0 = body0.detach().to(device=dev, dtype=dt)
        self.pose0 = self.body0.body_pose.reshape(1, J, 3).expand(T, -1, -1)
        self.free = torch.as_tensor(free_bones(model, DEFAULT_FREE_JOINTS), device=dev, dtype=torch.long)
        self.valid = torch.as_tensor(track.valid_frames(cfg.min_conf), device=dev)
        self.relative = self._relative_targets(track, w, dev, dt) if cfg.relative_weight > 0 else None
        self.transl = self._initial_translation().requires_grad_(True)
        self.orient = self.body0.global_orient.expand(T, -1).clone().requires_grad_(True)
        self.free_pose = self.pose0[:, self.free].clone().requires_grad_(True)

    @staticmethod
    def _relative_targets(track: KeypointTrack, w: np.ndarray, dev, dt) -> Optional[tuple]:
        """From the track's relative_xyz: (left, right) keypoint columns of each side pair, the detector's depth of
        each left keypoint minus its right one (T,P), and their weights (T,P); None without relative_xyz."""
        if track.relative_xyz is None:
            return None
        pairs = [(track.names.index(n), track.names.index("right_" + n[5:])) for n in track.names
                 if n.startswith("left_") and "right_" + n[5:] in track.names]
        if not pairs:
            return None
        left, right = (list(c) for c in zip(*pairs, strict=True))
        dz = track.relative_xyz[:, left, 2] - track.relative_xyz[:, right, 2]
        ok = np.isfinite(dz)
        wt = np.where(ok, np.minimum(w[:, left], w[:, right]), 0.0)
        return (left, right, torch.as_tensor(np.where(ok, dz, 0.0), device=dev, dtype=dt),
                torch.as_tensor(wt, device=dev, dtype=dt))

    def relative_error(self, fk: FastPose) -> torch.Tensor:
        """Robust mean error of the fitted left-minus-right camera depths of each side pair (shoulders, knees, ...)
        against the detector's. Differences only: a detector's 3-D estimate of the body's overall lean toward the
        camera is unreliable, which of two limbs is nearer the camera is what it adds to the 2-D points."""
        left, right, target, w = self.relative
        z = self.views.to_camera(fk.joints[:, self.kp_pos])[..., 2]
        sq = (z[:, left] - z[:, right] - target) ** 2
        return (w * geman_mcclure(sq, RELATIVE_SCALE_M ** 2)).sum() / w.sum().clamp_min(1e-8)

    def _initial_translation(self) -> torch.Tensor:
        t = initial_translation(self.model, self.body0, self.views, self.joint_ids, self.uv, self.w)
        valid = self.valid.cpu().numpy()
        filled = interpolate_missing(t.detach().cpu().numpy()[:, None], np.broadcast_to(valid[:, None], (len(t), 1)))
        return torch.as_tensor(filled[:, 0], device=t.device, dtype=t.dtype)

    def _pose(self) -> torch.Tensor:
        T = len(self.transl)
        return self.pose0.index_copy(1, self.free, self.free_pose).reshape(T, -1)

    def params(self) -> BodyParams:
        T = len(self.transl)
        return BodyParams(self.transl, self.orient, self._pose(), self.body0.shape.expand(T, -1))

    def residuals(self, fk: Optional[FastPose] = None) -> torch.Tensor:
        """(T,K) squared pixel errors."""
        fk = fk if fk is not None else self.body(self.transl, self.orient, self._pose())
        joints = fk.joints[:, self.kp_pos]
        return ((self.views.project(joints) - self.uv) ** 2).sum(-1)

    def smoothness(self) -> torch.Tensor:
        if len(self.transl) < 2:
            return self.transl.sum() * 0
        d = [x[1:] - x[:-1] for x in (self.transl, self.orient, self.free_pose.flatten(1))]
        return sum((x ** 2).sum(-1).mean() for x in d)

    def depth_change(self) -> torch.Tensor:
        """Mean squared root motion along each frame's camera ray, frame 0 measured from the initial state."""
        prev = torch.cat([self.body0.transl, self.transl[:-1]])
        ray = self.transl.detach() - self.views.centers
        ray = ray / ray.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        return (((self.transl - prev) * ray).sum(-1) ** 2).mean()

    def loss(self) -> torch.Tensor:
        cfg = self.cfg
        fk = self.body(self.transl, self.orient, self._pose())
        data = (self.w * geman_mcclure(self.residuals(fk), self.sigma2)).sum() / self.w.sum().clamp_min(1e-8)
        prior = ((self.free_pose - self.pose0[:, self.free]) ** 2).sum((-1, -2)).mean()
        loss = (data + cfg.smooth_weight * self.smoothness() + cfg.depth_weight * self.depth_change()
                + cfg.pose_prior_weight * prior)
        if self.relative is not None:
            loss = loss + cfg.relative_weight * self.relative_error(fk)
        if self.limits is not None:
            # one view cannot tell a limb bent toward the camera from one bent away; anatomy can (knees, elbows)
            loss = loss + cfg.joint_limit_weight * self.limits.penalty(fk) / len(self.transl)
        return loss

    def run(self) -> Fit2D:
        self._adam()
        if self.cfg.polish_iters > 0:
            self._lbfgs()
        with torch.no_grad():
            err = self.residuals().sqrt()
            used = (self.w > 0).to(err.dtype)
            per_frame = (err * used).sum(1) / used.sum(1)
        return Fit2D(self.params().detach(), per_frame.cpu().numpy())

    def _adam(self) -> None:
        iters = max(0, int(self.cfg.iters))
        opt = torch.optim.Adam([self.transl, self.orient, self.free_pose], lr=self.cfg.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, iters), eta_min=self.cfg.lr * 0.02)
        # a few root-only steps line the body up before the limbs move; many would let the root tilt to make up for
        # limbs it cannot bend yet, and the fit then settles in a wrong-depth configuration
        root_only = min(15, iters // 5)
        for it in range(iters):
            opt.zero_grad(set_to_none=True)
            self.loss().backward()
            if it < root_only:
                self.free_pose.grad = None
            opt.step()
            sched.step()

    def _lbfgs(self) -> None:
        before = [v.detach().clone() for v in (self.transl, self.orient, self.free_pose)]
        lbfgs = torch.optim.LBFGS([self.transl, self.orient, self.free_pose], lr=1.0, max_iter=self.cfg.polish_iters,
                                  history_size=20, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            lbfgs.zero_grad(set_to_none=True)
            loss = self.loss()
            loss.backward()
            return loss

        lbfgs.step(closure)
        with torch.no_grad():
            if not torch.isfinite(self.loss()):  # a line search that overshot; Adam's result stands
                for v, b in zip((self.transl, self.orient, self.free_pose), before, strict=True):
                    v.copy_(b)


# -- the initializer -----------------------------------------------------------------------------------------------


class KeypointsInitializer:
    """Per-frame poses fitted to one person's keypoints (from ``detector``, default the file in ``cfg.file``)."""

    def __init__(self, cfg: KeypointsConfig | None = None, detector: Optional[KeypointDetector] = None) -> None:
        self.cfg = cfg or KeypointsConfig()
        if self.cfg.layout not in ("auto", *LAYOUTS):
            raise UserError(f"Unknown keypoint layout '{self.cfg.layout}'; set pose_initializer.options.layout to "
                            f"auto, {', '.join(LAYOUTS)}.")
        if detector is None:
            if not self.cfg.file:
                raise UserError("The keypoints pose initializer needs a keypoint file; set "
                                "pose_initializer.options.file to your .npz or .json keypoints.")
            detector = KeypointFile(self.cfg.file, self.cfg.layout, self.cfg.min_conf)
        if self.cfg.start not in ("fit", "previous"):
            raise UserError(f"pose_initializer.options.start is '{self.cfg.start}'; use 'fit' (start from the poses "
                            "fitted to the keypoints) or 'previous' (from the previous frame's fitted pose).")
        self.detector = detector

    def detect(self, video: Video) -> KeypointTrack:
        track = self.detector.detect(video)
        name = type(self.detector).__name__
        if len(track) != len(video):
            raise UserError(f"The keypoint detector {name} returned {len(track)} frames for a {len(video)}-frame "
                            "video; it must return one entry per frame.")
        if not track.valid_frames(self.cfg.min_conf).any() and self.cfg.start != "previous":
            raise UserError(f"No keypoint from {name} reaches min_conf={self.cfg.min_conf:g} on any frame; lower "
                            "pose_initializer.options.min_conf or check the keypoints.")
        return track

    def initialize(self, video: Video, masks: Masks, cameras: Sequence[Camera], setup: Setup) -> PoseInit:
        if len(cameras) < len(video):
            raise ValueError(f"{len(cameras)} cameras for {len(video)} frames")
        model = setup.avatar.body_model
        track = self.detect(video)
        if not track.valid_frames(self.cfg.min_conf).any():  # start=previous: the fit carries on without keypoints
            note = (f"the keypoint detector {type(self.detector).__name__} found nobody on any frame (image too "
                    "small?): each frame starts from the previous one, without keypoint evidence")
            log.warning("pose initializer: %s", note)
            return PoseInit(body=None, valid=np.zeros(len(video), bool), carry_previous=True, notes=[note])
        notes = []
        known = model.core_joint_index()
        if any(n not in known for n in track.names):
            notes.append(f"the {getattr(model, 'name', 'body')} body has no joint for keypoints "
                         f"{', '.join(n for n in track.names if n not in known)}; they are ignored")
            track = track.subset([n for n in track.names if n in known])
        valid = track.valid_frames(self.cfg.min_conf)
        kind = f"{'3-D' if track.is_3d else '2-D'} keypoints ({len(track.names)} joints)"
        if track.is_3d:
            body = fit_3d(model, track, cameras, setup.body0, self.cfg)
            notes.append(f"fitted to {kind}")
        else:
            dev, dt = getattr(model, "device", torch.device("cpu")), getattr(model, "dtype", torch.float32)
            views = Views.of(cameras, video, dev, dt)
            fit = KeypointFit2D(model, track, views, setup.body0, self.cfg, (video.width, video.height)).run()
            body = fit.params
            notes.append(f"fitted to {kind}: mean reprojection error {np.nanmean(fit.per_frame_px):.1f} px on "
                         f"{int(valid.sum())} frames")
        kept = None
        if not track.is_3d:
            seen = track.seen(self.cfg.min_conf)
            kept = KeypointTrack(track.names, np.where(seen, track.conf, 0.0) * track.fit_weights()[None],
                                 uv=np.where(seen[..., None], track.uv, 0.0))
        if self.cfg.start == "previous":
            notes.append("each frame's fit starts from the previous frame's fitted pose (start=previous)")
        return PoseInit(body=body, valid=valid, world=False, carry_previous=self.cfg.start == "previous",
                        notes=[*notes, *gap_note(valid)], keypoints=kept)
