"""Semantic posing: anatomical joint angles on CORE_JOINTS names, whatever each backend's bone axes are.

Body frame (every backend, zero global orientation): +Z up, the body faces -Y, its left side is +X.

Angles are degrees, measured from the *anatomical neutral* pose: standing straight, legs parallel and straight down,
arms hanging straight at the sides, elbows/knees/wrists straight (the backends' rest poses differ: anny rests in an
A-pose, SMPL in a T-pose; both are mapped onto this neutral). Each joint rotates the body segment it carries
(hip -> thigh, knee -> shin, shoulder -> upper arm, ...); rotations are relative to the parent segment, so an elbow
flexes the forearm the same way whatever the shoulder does.

Limb joints (``left_/right_`` hip, knee, ankle, shoulder, elbow, wrist) take:
- ``flex``: positive = the natural bending direction: hip and shoulder swing the limb forward, elbow brings the
  hand forward/up, knee brings the heel back, ankle lifts the toes (dorsiflexion; negative = pointing the foot),
  wrist bends the hand forward (toward the palm in the anatomical position);
- ``abduct``: positive = away from the body's midline (sideways out); negative = adduction;
- ``twist``: positive = internal (medial) rotation about the segment's own axis.
Central joints (``spine``, ``chest``, ``neck``, ``head``) take ``flex`` (bend forward), ``lateral`` (bend toward
the body's left) and ``twist`` (turn toward the body's left).

Several angles on one joint compose as flex(abduct(twist(segment))). Bones between core joints (anny's twist and
clavicle bones, SMPL's spine2) are assumed unrotated. Backends must use SMPL-style body_pose rotations (each bone's
rotation in world-aligned axes of its parent, zero = rest pose), as anny's ``local-ref`` and SMPL(-X) do.

Example::

    params = pose_preset(model, "standing", on_floor=True)
    params = articulate(model, params, {"left_knee": {"flex": 90}, "right_shoulder": {"abduct": 80}})
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Union

import torch
import torch.nn.functional as F

from zerohsi.body.params import BodyModel, BodyParams
from zerohsi.errors import UserError
from zerohsi.geometry import axis_angle_to_matrix, matrix_to_axis_angle

UP = (0.0, 0.0, 1.0)
FORWARD = (0.0, -1.0, 0.0)
LEFT = (1.0, 0.0, 0.0)

Angle = Union[float, torch.Tensor]

#: joint -> (core joint its segment points to, or None for "up", motion direction of positive flex, neutral target)
#: neutral target: "down" (segment straight down), "parent" (in line with the parent segment) or None (the rest pose)
_LIMBS = {
    "hip": ("knee", "forward", "down"),
    "knee": ("ankle", "backward", "parent"),
    "ankle": ("foot", "up", None),
    "shoulder": ("elbow", "forward", "down"),
    "elbow": ("wrist", "forward", "parent"),
    "wrist": ("hand", "forward", "parent"),
}
_CENTRAL = {"spine": "chest", "chest": "neck", "neck": "head", "head": None}
#: the core joint whose segment a limb joint hangs from
_LIMB_PARENT = {"knee": "hip", "ankle": "knee", "elbow": "shoulder", "wrist": "elbow"}

JOINT_ANGLES: dict[str, tuple[str, ...]] = {
    **{f"{s}_{j}": ("flex", "abduct", "twist") for s in ("left", "right") for j in _LIMBS},
    **{j: ("flex", "lateral", "twist") for j in _CENTRAL},
}


@dataclass
class _JointFrame:
    bone: int  # index into the backend's joints (body_pose slot bone - 1)
    parent_rot: torch.Tensor  # (3,3) world rotation of the parent segment in the neutral pose
    neutral: torch.Tensor  # (3,3) local rotation taking the rest pose to neutral
    axes: dict[str, torch.Tensor]  # angle name -> (3,) unit axis in world axes at the neutral pose


_FRAMES: weakref.WeakKeyDictionary[object, dict[str, _JointFrame]] = weakref.WeakKeyDictionary()


def _vec(v) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float32)


def _min_rotation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(3,3) smallest rotation taking unit direction a to b."""
    a, b = F.normalize(a, dim=0), F.normalize(b, dim=0)
    axis = torch.linalg.cross(a, b, dim=0)
    s, c = axis.norm(), torch.dot(a, b).clamp(-1, 1)
    if s < 1e-8:
        if c > 0:
            return torch.eye(3)
        perp = torch.linalg.cross(a, _vec(LEFT) if abs(float(a[0])) < 0.9 else _vec(UP), dim=0)
        return axis_angle_to_matrix(F.normalize(perp, dim=0) * math.pi)
    return axis_angle_to_matrix(axis / s * torch.atan2(s, c))


def _rest_joints(model: BodyModel) -> torch.Tensor:
    params = model.rest_params(1)
    with torch.no_grad():
        fk = getattr(model, "forward_kinematics", None)
        joints = fk(params)[0] if fk is not None else model(params).joints
    return joints[0].detach().float().cpu()


def joint_frames(model: BodyModel) -> dict[str, _JointFrame]:
    """Neutral-pose frames of every posable core joint of ``model`` (computed once per model)."""
    cached = _FRAMES.get(model)
    if cached is not None:
        return cached
    idx = model.core_joint_index()
    rest = _rest_joints(model)
    up, fwd, left = _vec(UP), _vec(FORWARD), _vec(LEFT)
    frames: dict[str, _JointFrame] = {}
    eye = torch.eye(3)
    # world rotation of each posed core segment in the neutral pose (parents first: the dict order is top-down)
    seg_rot: dict[str, torch.Tensor] = {}

    def perp(d: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.normalize(d - torch.dot(d, b) * b, dim=0)

    for name, child in _CENTRAL.items():
        if name not in idx:
            continue
        parent_rot = eye
        b = up if child is None or child not in idx else F.normalize(rest[idx[child]] - rest[idx[name]], dim=0)
        axes = {"flex": F.normalize(torch.linalg.cross(b, perp(fwd, b), dim=0), dim=0),
                "lateral": F.normalize(torch.linalg.cross(b, perp(left, b), dim=0), dim=0), "twist": b}
        frames[name] = _JointFrame(idx[name], parent_rot, eye, axes)
    for joint in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist"):
        child, flex_dir, target = _LIMBS[joint]
        for side, sign in (("left", 1.0), ("right", -1.0)):
            name = f"{side}_{joint}"
            if name not in idx or f"{side}_{child}" not in idx:
                continue
            lateral = left * sign
            parent_name = f"{side}_{_LIMB_PARENT[joint]}" if joint in _LIMB_PARENT else None
            parent_rot = seg_rot.get(parent_name, eye) if parent_name else eye
            b_rest = F.normalize(rest[idx[f"{side}_{child}"]] - rest[idx[name]], dim=0)
            if target == "down":
                want = -up
            elif target == "parent" and parent_name in idx:
                grand = f"{side}_{_LIMBS[_LIMB_PARENT[joint]][0]}"  # the parent's child = this joint
                want = parent_rot @ F.normalize(rest[idx[grand]] - rest[idx[parent_name]], dim=0)
            else:
                want = parent_rot @ b_rest
            neutral = _min_rotation(b_rest, parent_rot.T @ want)
            rot = parent_rot @ neutral
            seg_rot[name] = rot
            b = rot @ b_rest
            d = {"forward": fwd, "backward": -fwd, "up": up}[flex_dir]
            medial = -lateral
            twist = b if torch.dot(torch.linalg.cross(b, fwd, dim=0), medial) > 0 else -b
            axes = {"flex": F.normalize(torch.linalg.cross(b, perp(d, b), dim=0), dim=0),
                    "abduct": F.normalize(torch.linalg.cross(b, perp(lateral, b), dim=0), dim=0), "twist": twist}
            frames[name] = _JointFrame(idx[name], parent_rot, neutral, axes)
    _FRAMES[model] = frames
    return frames


def _angle_tensor(value: Angle, batch: int, degrees: bool) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float32).reshape(-1)
    if t.numel() == 1:
        t = t.expand(batch)
    if t.numel() != batch:
        raise ValueError(f"an angle has {t.numel()} values for a batch of {batch}")
    return torch.deg2rad(t) if degrees else t


def articulate(model: BodyModel, params: BodyParams, angles: Mapping[str, Mapping[str, Angle]], *,
               degrees: bool = True) -> BodyParams:
    """Set anatomical angles on core joints (see the module docstring for names and signs).

    ``angles``: {joint: {angle: value}} with values scalars or (B,) tensors (per frame). Each named joint's rotation
    is replaced (angles not given are 0, i.e. neutral); other joints keep their values in ``params``.
    Returns new BodyParams; ``params`` is not modified.
    """
    frames = joint_frames(model)
    B = len(params)
    pose = params.body_pose.detach().clone().reshape(B, -1, 3)
    for joint, values in angles.items():
        if joint not in frames:
            raise UserError(f"Cannot pose joint '{joint}'; posable joints are {', '.join(sorted(frames))}.")
        fr = frames[joint]
        R = torch.eye(3).expand(B, 3, 3)
        allowed = JOINT_ANGLES[joint]
        for key in values:
            if key not in allowed:
                raise UserError(f"Joint '{joint}' takes angles {', '.join(allowed)}, not '{key}'.")
        for key in reversed(allowed):  # flex(abduct(twist(.)))
            if key in values:
                theta = _angle_tensor(values[key], B, degrees)
                R = axis_angle_to_matrix(fr.axes[key][None] * theta[:, None]) @ R
        local = fr.parent_rot.T @ R @ fr.parent_rot @ fr.neutral
        pose[:, fr.bone - 1] = matrix_to_axis_angle(local).to(pose)
    return params.replace(body_pose=pose.reshape(B, -1))


def neutral_params(model: BodyModel, batch: int = 1) -> BodyParams:
    """The anatomical neutral pose: the rest pose with limbs straightened and arms/legs straight down."""
    return articulate(model, model.rest_params(batch), {j: {} for j in joint_frames(model)})


def yaw_orient(yaw_deg: Angle, batch: int = 1) -> torch.Tensor:
    """(B,3) global_orient turning the body about +Z by ``yaw_deg`` (0 faces -Y, 90 faces +X)."""
    theta = _angle_tensor(yaw_deg, batch, True)
    return torch.stack([torch.zeros_like(theta), torch.zeros_like(theta), theta], -1)


def facing_yaw_deg(direction_xy) -> float:
    """Yaw (degrees) that makes the body face the horizontal direction ``direction_xy``."""
    x, y = float(direction_xy[0]), float(direction_xy[1])
    return math.degrees(math.atan2(x, -y))


#: preset name -> semantic angles (degrees)
PRESETS: dict[str, dict[str, dict[str, float]]] = {
    "neutral": {},
    "standing": {"left_shoulder": {"abduct": 7}, "right_shoulder": {"abduct": 7},
                 "left_elbow": {"flex": 12}, "right_elbow": {"flex": 12}},
    "t_pose": {"left_shoulder": {"abduct": 90}, "right_shoulder": {"abduct": 90}},
    "a_pose": {"left_shoulder": {"abduct": 45}, "right_shoulder": {"abduct": 45}},
    "sitting": {"left_hip": {"flex": 90, "abduct": 6}, "right_hip": {"flex": 90, "abduct": 6},
                "left_knee": {"flex": 90}, "right_knee": {"flex": 90},
                "left_shoulder": {"flex": 20, "abduct": 8}, "right_shoulder": {"flex": 20, "abduct": 8},
                "left_elbow": {"flex": 45}, "right_elbow": {"flex": 45}, "spine": {"flex": 4}},
    "crouch": {"left_hip": {"flex": 105, "abduct": 10}, "right_hip": {"flex": 105, "abduct": 10},
               "left_knee": {"flex": 125}, "right_knee": {"flex": 125},
               "left_ankle": {"flex": 25}, "right_ankle": {"flex": 25}, "spine": {"flex": 20}, "chest": {"flex": 10},
               "left_shoulder": {"flex": 45}, "right_shoulder": {"flex": 45},
               "left_elbow": {"flex": 20}, "right_elbow": {"flex": 20}},
    "pick_up": {"left_hip": {"flex": 75}, "right_hip": {"flex": 75}, "left_knee": {"flex": 55},
                "right_knee": {"flex": 55}, "left_ankle": {"flex": 12}, "right_ankle": {"flex": 12},
                "spine": {"flex": 25}, "chest": {"flex": 15}, "neck": {"flex": 10},
                "left_shoulder": {"flex": 75}, "right_shoulder": {"flex": 75},
                "left_elbow": {"flex": 10}, "right_elbow": {"flex": 10}},
    "reach_forward": {"right_shoulder": {"flex": 90}, "right_elbow": {"flex": 5}, "spine": {"flex": 8},
                      "left_shoulder": {"abduct": 7}, "left_elbow": {"flex": 12}},
    "reach_up": {"right_shoulder": {"flex": 165}, "right_elbow": {"flex": 5}, "left_shoulder": {"abduct": 7}},
    "carry": {"left_shoulder": {"flex": 30, "abduct": 12}, "right_shoulder": {"flex": 30, "abduct": 12},
              "left_elbow": {"flex": 85}, "right_elbow": {"flex": 85}, "spine": {"flex": -3}},
    "push": {"left_shoulder": {"flex": 75, "abduct": 8}, "right_shoulder": {"flex": 75, "abduct": 8},
             "left_elbow": {"flex": 25}, "right_elbow": {"flex": 25}, "spine": {"flex": 12},
             "left_hip": {"flex": 25}, "right_hip": {"flex": -12}, "left_knee": {"flex": 15},
             "right_knee": {"flex": 5}},
    "wave": {"right_shoulder": {"abduct": 100, "flex": 15}, "right_elbow": {"flex": 75},
             "left_shoulder": {"abduct": 7}, "left_elbow": {"flex": 12}},
}


def pose_preset(model: BodyModel, name: str, batch: int = 1, *, on_floor: bool = False,
                floor_z: float = 0.0) -> BodyParams:
    """A named pose (see PRESETS; "rest" is the backend's own zero pose) at the origin facing -Y.

    ``on_floor``: lift the root so the lowest vertex touches ``floor_z``; otherwise the root (pelvis) is at the
    origin.
    """
    if name == "rest":
        params = model.rest_params(batch)
    elif name not in PRESETS:
        raise UserError(f"Unknown pose preset '{name}'; choose one of rest, {', '.join(sorted(PRESETS))}.")
    else:
        params = articulate(model, neutral_params(model, batch), PRESETS[name])
    return place_on_floor(model, params, floor_z) if on_floor else params


def walk_pose(model: BodyModel, phase: Angle, *, amplitude: float = 1.0) -> BodyParams:
    """Body pose of a walk cycle at ``phase`` (cycles; scalar or (T,)); phase 0 = left foot swinging forward past the
    right. Only joint angles: the caller moves the root along the path (about 0.65 m per half cycle at amplitude 1)
    and may keep the feet on the floor with :func:`root_height_on_floor`."""
    ph = torch.as_tensor(phase, dtype=torch.float32).reshape(-1)
    T = ph.numel()
    w = 2 * math.pi * ph
    a = float(amplitude)
    s, c = torch.sin(w), torch.cos(w)
    swing_l = torch.relu(c) ** 1.5  # knee bends most mid-swing (hip passing neutral, moving forward)
    swing_r = torch.relu(-c) ** 1.5
    angles = {
        "left_hip": {"flex": a * 24 * s}, "right_hip": {"flex": -a * 24 * s},
        "left_knee": {"flex": 6 + a * 55 * swing_l}, "right_knee": {"flex": 6 + a * 55 * swing_r},
        "left_ankle": {"flex": a * (8 * swing_l - 8 * torch.relu(-s))},
        "right_ankle": {"flex": a * (8 * swing_r - 8 * torch.relu(s))},
        "left_shoulder": {"flex": -a * 18 * s, "abduct": torch.full((T,), 7.0)},
        "right_shoulder": {"flex": a * 18 * s, "abduct": torch.full((T,), 7.0)},
        "left_elbow": {"flex": 15 + a * 10 * torch.relu(-s)}, "right_elbow": {"flex": 15 + a * 10 * torch.relu(s)},
        "spine": {"twist": a * 4 * s}, "chest": {"twist": -a * 4 * s},
    }
    return articulate(model, neutral_params(model, T), angles)


def _vertices(model: BodyModel, params: BodyParams) -> torch.Tensor:
    with torch.no_grad():
        return model(params.detach()).vertices.float()


def root_height_on_floor(model: BodyModel, params: BodyParams, floor_z: float = 0.0) -> torch.Tensor:
    """(B,) root z (``transl`` z) that puts the lowest vertex of each frame on ``floor_z`` (x, y kept)."""
    verts = _vertices(model, params.replace(transl=torch.zeros_like(params.transl)))
    return floor_z - verts[..., 2].min(dim=1).values.to(params.transl)


def place_on_floor(model: BodyModel, params: BodyParams, floor_z: float = 0.0) -> BodyParams:
    """``params`` with each frame's root height set by :func:`root_height_on_floor`."""
    transl = params.transl.detach().clone()
    transl[:, 2] = root_height_on_floor(model, params, floor_z)
    return params.replace(transl=transl)


def seat_offset(model: BodyModel, params: BodyParams) -> torch.Tensor:
    """(B,3) vector from the seat contact point to the root (pelvis), world axes, for a sitting pose.

    The contact point is under the buttocks: the lowest points of the pelvis and thigh regions (their centroid in x,
    y; their minimum in z). Sit a body on a seat surface point S with ``transl = S + seat_offset(model, params)``.
    """
    from zerohsi.body.appearance import bone_regions

    regions = bone_regions(model)
    dominant = model.skinning_weights.argmax(1).cpu()
    seat_bones = torch.tensor([r in ("pelvis", "left_hip", "right_hip") for r in regions])
    mask = seat_bones[dominant]
    verts = _vertices(model, params.replace(transl=torch.zeros_like(params.transl)))[:, mask.to(params.transl.device)]
    z = verts[..., 2]
    zmin = z.min(1, keepdim=True).values
    near = (z <= zmin + 0.01).float()
    xy = (verts[..., :2] * near[..., None]).sum(1) / near.sum(1, keepdim=True)
    contact = torch.cat([xy, zmin], -1)
    return -contact
