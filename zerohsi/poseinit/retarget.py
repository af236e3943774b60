"""From an external estimator's SMPL-family results to per-frame poses on the run's body model.

Every adapter (SMPLer-X, WHAM, GVHMR, ...) reduces its tool's output to an :class:`SmplTrack`; the steps here are
shared: joints by forward kinematics (:mod:`zerohsi.body.smpl_skeleton`), camera-frame joints into the world
through the tracked cameras, a tool's gravity-aligned y-up world onto ours (+Z up) through the first frame's
camera, gaps where the tool saw nobody filled and reported, and finally a fit of the run's body model to the
CORE_JOINTS targets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import torch

from zerohsi.body.params import CORE_JOINTS, BodyParams
from zerohsi.body.smpl_skeleton import SmplSkeleton
from zerohsi.errors import UserError
from zerohsi.geometry import axis_angle_to_matrix
from zerohsi.poseinit.base import PoseInit

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup

#: rotation taking a y-up world (x right, y up, z towards the viewer) to a +Z-up one: (x, y, z) -> (x, -z, y)
YUP_TO_ZUP = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)


@dataclass
class SmplTrack:
    """One person's SMPL / SMPL-X results on the frames where the tool found them.

    frame_ids (N,) int video frames; global_orient (N,3), body_pose (N,P), betas (N,S), transl (N,3) as the tool
    wrote them; frame: "camera" (OpenCV camera of the tool) or "world_yup" (the tool's gravity-aligned y-up world);
    K (N,3,3) the tool's intrinsics in video pixels, for camera-frame results; extra_pose (N,K,3) joints after the
    body (SMPL-X jaw, eyes, fingers) or None.
    """

    frame_ids: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    frame: str = "camera"
    K: Optional[np.ndarray] = None
    extra_pose: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return int(len(self.frame_ids))

    def joints(self, skeleton: SmplSkeleton) -> torch.Tensor:
        """(N,J,3) float64 joints in the track's own frame."""
        return skeleton.joints(torch.as_tensor(self.global_orient), torch.as_tensor(self.body_pose),
                               torch.as_tensor(self.betas), torch.as_tensor(self.transl),
                               None if self.extra_pose is None else torch.as_tensor(self.extra_pose))

    def root_rotation(self) -> torch.Tensor:
        return axis_angle_to_matrix(torch.as_tensor(self.global_orient, dtype=torch.float64).reshape(-1, 3))


def default_intrinsics(width: int, height: int) -> np.ndarray:
    """The intrinsics WHAM and GVHMR assume without calibration: focal sqrt(W^2 + H^2), centred principal point."""
    f = math.sqrt(width * width + height * height)
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], dtype=np.float64)


def camera_to_world(joints_c: torch.Tensor, K_tool: torch.Tensor, cameras: Sequence[Camera],
                    frame_ids: Sequence[int], video_size: tuple[int, int]) -> torch.Tensor:
    """(N,J,3) joints in the tool's camera -> (N,J,3) world joints through the tracked cameras.

    The tool saw the video through its own intrinsics K_tool (N,3,3, video pixels); ours differ. The body is moved
    so its pelvis projects to the same pixel through our intrinsics, at a depth scaled by the focal-length ratio so
    its image size is kept; then it goes to the world with each frame's camera-to-world transform.
    """
    W, H = video_size
    out = torch.empty_like(joints_c)
    for i, t in enumerate(frame_ids):
        cam = cameras[int(t)]
        K = cam.resized(W, H).K.to(torch.float64)  # our intrinsics in video pixels
        Kt = torch.as_tensor(K_tool[i], dtype=torch.float64)
        pelvis = joints_c[i, 0]
        uv = (Kt @ pelvis)[:2] / pelvis[2]
        z = pelvis[2] * K[0, 0] / Kt[0, 0]
        moved = torch.stack([(uv[0] - K[0, 2]) * z / K[0, 0], (uv[1] - K[1, 2]) * z / K[1, 1], z])
        jc = joints_c[i] - pelvis + moved
        c2w = cam.cam_to_world.to(torch.float64)
        out[i] = jc @ c2w[:3, :3].T + c2w[:3, 3]
    return out


def align_world(joints_g: torch.Tensor, joints_g0: torch.Tensor, rot_g0: torch.Tensor, joints_w0: torch.Tensor,
                rot_w0: torch.Tensor, *, keep_gravity: bool = True) -> torch.Tensor:
    """(N,J,3) joints in a tool's y-up world -> ours, anchored so the anchor frame lands on (joints_w0, rot_w0).

    joints_g0 (J,3) / rot_g0 (3,3): the anchor frame's joints and root rotation in the tool's world; joints_w0 (J,3)
    / rot_w0 (3,3): the same frame mapped into our world through its camera. With keep_gravity the tool's up axis
    becomes our +Z and only a heading (yaw) and a translation are solved, which keeps the tool's gravity estimate;
    otherwise the full rotation of the anchor frame is matched.
    """
    if keep_gravity:
        rel = rot_w0 @ (YUP_TO_ZUP @ rot_g0).T
        yaw = torch.atan2(rel[1, 0] - rel[0, 1], rel[0, 0] + rel[1, 1])
        c, s = torch.cos(yaw), torch.sin(yaw)
        Rz = torch.stack([torch.stack([c, -s, c * 0]), torch.stack([s, c, c * 0]),
                          torch.stack([c * 0, c * 0, c * 0 + 1])])
        R = Rz @ YUP_TO_ZUP
    else:
        R = rot_w0 @ rot_g0.T
    t = (joints_w0 - joints_g0 @ R.T).mean(0)
    return joints_g @ R.T + t


def interpolate_missing(values: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(T,K,D) values known where ``seen`` (T,K) -> every unseen entry linearly interpolated over time from the
    frames that saw that keypoint (held at the ends); keypoints never seen stay NaN."""
    out = np.full(values.shape, np.nan)
    T = len(values)
    for k in range(values.shape[1]):
        good = np.flatnonzero(seen[:, k])
        if len(good) == 0:
            continue
        for d in range(values.shape[2]):
            out[:, k, d] = np.interp(np.arange(T), good, values[good, k, d])
    return out


def fill_gaps(values: torch.Tensor, valid: np.ndarray) -> tuple[torch.Tensor, list[str]]:
    """(T,...) values valid on some frames -> every frame filled: linear between valid frames, held at the ends.

    Returns the filled values and notes naming the filled frames. Raises UserError when no frame is valid.
    """
    valid = np.asarray(valid, dtype=bool)
    T = len(valid)
    good = np.flatnonzero(valid)
    if len(good) == 0:
        raise UserError("The pose estimator found no person in any frame; check its output or use the "
                        "previous_frame pose initializer.")
    if len(good) == T:
        return values, []
    flat = interpolate_missing(values.reshape(T, 1, -1).numpy(), valid[:, None])
    missing = np.flatnonzero(~valid)
    note = (f"no person found on frames {frame_ranges(missing)}; filled by interpolation between neighbouring "
            f"frames ({len(missing)}/{T} frames)")
    return torch.as_tensor(flat, dtype=values.dtype).reshape(values.shape), [note]


def frame_ranges(idx: np.ndarray) -> str:
    parts, start = [], None
    for i, v in enumerate(idx):
        if start is None:
            start = v
        if i + 1 == len(idx) or idx[i + 1] != v + 1:
            parts.append(f"{start}" if start == v else f"{start}-{v}")
            start = None
    return ", ".join(parts)


def scatter(track_values: torch.Tensor, frame_ids: np.ndarray, num_frames: int) -> tuple[torch.Tensor, np.ndarray]:
    """(N,...) values on the track's frames -> ((T,...) with zeros elsewhere, (T,) valid)."""
    ids = np.asarray(frame_ids, dtype=np.int64)
    keep = (ids >= 0) & (ids < num_frames)
    out = torch.zeros((num_frames, *track_values.shape[1:]), dtype=track_values.dtype)
    out[torch.as_tensor(ids[keep])] = track_values[torch.as_tensor(np.flatnonzero(keep))]
    valid = np.zeros(num_frames, dtype=bool)
    valid[ids[keep]] = True
    return out, valid


def core_targets(skeleton: SmplSkeleton, joints: torch.Tensor) -> torch.Tensor:
    """(...,J,3) skeleton joints -> (...,len(CORE_JOINTS),3) in CORE_JOINTS order."""
    idx = skeleton.core_joint_index()
    return joints[..., [idx[n] for n in CORE_JOINTS], :]


def retarget(setup: Setup, targets: torch.Tensor, *, iters: int = 100) -> BodyParams:
    """(T,len(CORE_JOINTS),3) world joint targets -> BodyParams (B=T) of the run's body model.

    The body keeps the initial state's shape (the avatar is built on it); each frame starts from the neutral pose
    rigidly aligned to its target torso, and a light temporal term keeps consecutive frames consistent.
    """
    from zerohsi.body.fitting import fit_to_joints, initial_params

    model = setup.avatar.body_model
    targets = targets.float()
    init = initial_params(model, targets, CORE_JOINTS)
    init = init.replace(shape=setup.body0.shape.detach().to(init.shape).expand(len(targets), -1).clone())
    return fit_to_joints(model, targets, CORE_JOINTS, init=init, iters=iters, smooth_weight=1e-3,
                         polish_iters=min(30, iters // 3)).params


def pose_init_from_joints(setup: Setup, joints_world: torch.Tensor, valid: np.ndarray, skeleton: SmplSkeleton, *,
                          world: bool, notes: list[str], iters: int = 100) -> PoseInit:
    """Fill gaps in (T,J,3) world joints, retarget and wrap them as a PoseInit."""
    filled, gap_notes = fill_gaps(joints_world, valid)
    body = retarget(setup, core_targets(skeleton, filled).float(), iters=iters)
    return PoseInit(body=body, valid=np.asarray(valid, dtype=bool), world=world, notes=[*notes, *gap_notes])
