"""Anatomical joint limits: a pose prior for any body backend (anny has no learned prior like VPoser).

Each limited core joint's rotation is split into three anatomical angles (radians):

- ``flex``: swing of the bone in its natural bending direction (knee: shin backward; elbow: forearm forward; hip /
  shoulder: limb forward; spine / neck: forward bend; ankle: toes up; wrist: toward the palm);
- ``side``: swing at right angles to that, positive away from the body's midline (hips, shoulders: abduction;
  spine / neck: lean to the body's left for both);
- ``twist``: rotation about the bone itself.

The axes are derived from the body's rest skeleton (world +Z up, the hips give left/right, forward = left × up), so
the same table serves anny, SMPL-X and any backend with the ``CORE_JOINTS`` mapping. Angles are measured from an
anatomical neutral direction of each bone, not from the backend's rest pose (rest poses differ: SMPL-X's T-pose
has straight arms out, anny's A-pose has arms down-out and elbows bent): the neutral is "down" for hips and
shoulders, "up" for the spine, neck and head, the parent bone's direction (a straight limb) for knees, elbows and
wrists, and the rest pose for ankles. A joint's rotation relative to its parent is composed with the minimal
rotation from neutral to rest, then split by a swing–twist decomposition about the neutral bone direction.

The limits are generous ranges of voluntary motion (adult, from the usual clinical tables, rounded outward); a pose
inside them costs nothing, outside it costs the squared excess (a soft hinge).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from zerohsi.body.params import BodyModel
from zerohsi.geometry import matrix_to_quat
from zerohsi.refine.skeleton import FastBody, FastPose

_F, _B, _U, _D, _L, _OUT, _IN = "forward", "backward", "up", "down", "left", "out", "in"
_UP_OUT = "up_out"  # raising a limb sideways: up for a T-pose arm, out for a hanging one


@dataclass(frozen=True)
class JointLimit:
    """Limits of one core joint; angles in degrees, (low, high).

    child: core joint the bone points to (leaf joints use parent -> joint); neutral: the bone's anatomical zero
    direction: "up", "down", "rest", or a core joint name (the direction from that joint to this one: a straight
    limb); flex_dir / side_dir: where the bone's far end moves for a positive flex / side angle, in body terms.
    """

    joint: str
    child: str | None
    neutral: str
    flex_dir: str
    side_dir: str
    flex_deg: tuple[float, float]
    side_deg: tuple[float, float]
    twist_deg: tuple[float, float]


def _sided(name: str, child: str | None, neutral: str, flex_dir: str, side_dir: str, flex, side,
           twist) -> list[JointLimit]:
    def side_name(n: str | None, s: str) -> str | None:
        return n if n is None or n in ("up", "down", "rest") else f"{s}_{n}"

    return [JointLimit(f"{s}_{name}", side_name(child, s), side_name(neutral, s), flex_dir, side_dir, flex, side,
                       twist) for s in ("left", "right")]


#: the default table (degrees). Hyperextension of knees and elbows is what matters most in practice.
ANATOMICAL_LIMITS: tuple[JointLimit, ...] = (
    *_sided("hip", "knee", "down", _F, _OUT, (-30, 125), (-30, 50), (-45, 45)),
    *_sided("knee", "ankle", "hip", _B, _OUT, (-10, 150), (-12, 12), (-35, 35)),
    *_sided("ankle", "foot", "rest", _U, _OUT, (-55, 35), (-30, 30), (-35, 35)),
    JointLimit("spine", "chest", "up", _F, _L, (-30, 55), (-30, 30), (-35, 35)),
    JointLimit("chest", "neck", "up", _F, _L, (-25, 40), (-25, 25), (-30, 30)),
    JointLimit("neck", "head", "up", _F, _L, (-50, 60), (-45, 45), (-75, 75)),
    JointLimit("head", None, "up", _F, _L, (-40, 40), (-30, 30), (-45, 45)),
    *_sided("shoulder", "elbow", "down", _F, _UP_OUT, (-60, 180), (-30, 180), (-95, 95)),
    *_sided("elbow", "wrist", "shoulder", _F, _IN, (-10, 150), (-20, 20), (-95, 95)),
    *_sided("wrist", "hand", "elbow", _D, _F, (-80, 80), (-35, 35), (-60, 60)),
)


class JointLimits:
    """Soft hinge penalty on anatomical angles of a body's core joints.

    body: the :class:`FastBody` the poses come from (its rest frames define the anatomical axes); model: the body
    model (for the core-joint mapping). Joints the model does not map are skipped.
    """

    def __init__(self, body: FastBody, model: BodyModel, table: tuple[JointLimit, ...] = ANATOMICAL_LIMITS) -> None:
        core = model.core_joint_index()
        parents = torch.as_tensor(model.parents).tolist()
        rest_R, rest_t = body.rest_R, body.rest_t
        rest_joints = rest_t + (rest_R @ body.joint_local[..., None])[..., 0]
        up = torch.tensor([0.0, 0.0, 1.0])
        left = _unit(_perp(rest_joints[core["left_hip"]] - rest_joints[core["right_hip"]], up))
        forward = torch.linalg.cross(left, up)
        names: list[str] = []
        entries, axes, signs, lows, highs, neutral_to_rest = [], [], [], [], [], []
        for lim in table:
            if lim.joint not in core:
                continue
            j = core[lim.joint]
            p = parents[j]
            if p < 0:
                continue
            if lim.child is not None and lim.child in core:
                bone = rest_joints[core[lim.child]] - rest_joints[j]
            else:
                bone = rest_joints[j] - rest_joints[p]
            if float(bone.norm()) < 1e-6:
                continue
            c_rest = _unit(bone)
            if lim.neutral == "rest":
                c = c_rest
            elif lim.neutral in ("up", "down"):
                c = up if lim.neutral == "up" else -up
            elif lim.neutral in core:
                c = _unit(rest_joints[j] - rest_joints[core[lim.neutral]])
            else:
                continue
            sign = 1.0 if lim.joint.startswith("left") or not lim.joint.startswith("right") else -1.0
            dirs = {_F: forward, _B: -forward, _U: up, _D: -up, _L: left, _OUT: sign * left, _IN: -sign * left,
                    _UP_OUT: _unit(up + sign * left)}
            d_flex = _perp(dirs[lim.flex_dir], c)
            if float(d_flex.norm()) < 1e-3:
                continue
            d_flex = _unit(d_flex)
            d_side = _perp(_perp(dirs[lim.side_dir], c), d_flex)
            d_side = _unit(d_side) if float(d_side.norm()) > 1e-3 else torch.linalg.cross(c, d_flex)
            # a rotation about axis a moves c toward a x c, so a = c x d moves it toward d; the side axis is
            # completed right-handed (the decomposition needs a proper basis) and its sign kept apart
            a = torch.linalg.cross(c, d_flex)
            b = torch.linalg.cross(c, a)
            side_sign = 1.0 if float((b * torch.linalg.cross(c, d_side)).sum()) > 0 else -1.0
            side_lo, side_hi = lim.side_deg
            neutral_to_rest.append(_rotation_between(c, c_rest))
            entries.append((j, p))
            names.append(lim.joint)
            axes.append(torch.stack([a, b, c]))
            signs.append([1.0, side_sign, 1.0])
            lows.append([lim.flex_deg[0], side_lo, lim.twist_deg[0]])
            highs.append([lim.flex_deg[1], side_hi, lim.twist_deg[1]])
        self.names = names
        #: model joint indices of each limited joint and its parent; their positions in FastBody's outputs
        self.joint_idx = torch.tensor([e[0] for e in entries], dtype=torch.long)
        self.parent_idx = torch.tensor([e[1] for e in entries], dtype=torch.long)
        self._pos_j = body.compact(self.joint_idx)
        self._pos_p = body.compact(self.parent_idx)
        #: (K,3,3) rows: flex, side, twist rotation axes in rest-world coordinates; (K,3) sign of each angle
        self.axes = torch.stack(axes) if axes else torch.zeros(0, 3, 3)
        self.signs = torch.tensor(signs, dtype=torch.float32).reshape(-1, 3)
        #: (K,3,3) minimal rotation taking each bone's neutral direction to its rest direction
        self.neutral_to_rest = torch.stack(neutral_to_rest) if neutral_to_rest else torch.zeros(0, 3, 3)
        self.low = torch.deg2rad(torch.tensor(lows, dtype=torch.float32).reshape(-1, 3))
        self.high = torch.deg2rad(torch.tensor(highs, dtype=torch.float32).reshape(-1, 3))
        self.rest_R = rest_R

    def angles(self, pose: FastPose) -> torch.Tensor:
        """(T,K,3) [flex, side, twist] radians of each limited joint, from its anatomical neutral."""
        R = pose.rotations
        dev, dt = R.device, R.dtype
        rest = self.rest_R.to(dev, dt)
        j, p = self.joint_idx.to(dev), self.parent_idx.to(dev)
        # bone rotation relative to its parent, compared with rest, in rest-world axes
        wj = R[:, self._pos_j.to(dev)] @ rest[j].transpose(-1, -2)
        wp = R[:, self._pos_p.to(dev)] @ rest[p].transpose(-1, -2)
        delta = wp.transpose(-1, -2) @ wj @ self.neutral_to_rest.to(dev, dt)
        A = self.axes.to(dev, dt)
        q = matrix_to_quat(A @ delta @ A.transpose(-1, -2))  # wxyz, w >= 0; z is the twist axis
        w, x, y, z = q.unbind(-1)
        twist_half = torch.atan2(z, w)
        ch, sh = torch.cos(twist_half), torch.sin(twist_half)
        # swing = q * conj(twist): its z component vanishes by construction
        sw = w * ch + z * sh
        sx = x * ch - y * sh
        sy = y * ch + x * sh
        n = torch.sqrt(sx * sx + sy * sy + 1e-12)
        scale = 2 * torch.atan2(n, sw) / n
        return torch.stack([sx * scale, sy * scale, 2 * twist_half], -1) * self.signs.to(dev, dt)

    def penalty(self, pose: FastPose) -> torch.Tensor:
        """Σ over frames and joints of squared excess beyond the limits (rad²), a scalar."""
        if self.joint_idx.numel() == 0:
            return pose.rotations.new_zeros(())
        ang = self.angles(pose)
        lo, hi = self.low.to(ang), self.high.to(ang)
        return ((ang - hi).clamp_min(0) ** 2 + (lo - ang).clamp_min(0) ** 2).sum()


def _rotation_between(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The minimal rotation (3,3) taking unit vector a to unit vector b (Rodrigues)."""
    v = torch.linalg.cross(a, b)
    c = float((a * b).sum())
    if c < -1 + 1e-6:  # opposite: half a turn about any axis at right angles to a
        axis = _unit(_perp(torch.tensor([1.0, 0.0, 0.0]), a))
        if float(axis.norm()) < 0.5:
            axis = _unit(_perp(torch.tensor([0.0, 1.0, 0.0]), a))
        return 2 * torch.outer(axis, axis) - torch.eye(3)
    K = torch.tensor([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return torch.eye(3) + K + (K @ K) / (1 + c)


def _perp(v: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    return v - (v * axis).sum() * axis


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm().clamp_min(1e-12)
