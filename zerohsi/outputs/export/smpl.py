"""Motion of any body as SMPL-family joint rotations: the 22-joint SMPL body skeleton (pelvis to wrists), retargeted
from the body's own bones, for tools that expect SMPL (AMASS-style npz) or standard humanoid names (BVH with SMPL
or Mixamo joint names).

The retarget is analytic, frame by frame. The exported skeleton has SMPL's tree and T-pose rest directions
(:data:`zerohsi.body.smpl_rest.APPROX_REST_JOINTS`) with the body's own bone lengths. Each SMPL joint's world
rotation starts from its source bone's rotation since rest, corrected by the fixed rotation between the SMPL T-pose
bone and the body's rest bone (so twists follow the body), then swung so the bone points exactly at the posed child
joint (joints with several children take the best-fit rotation onto all of them). What is left — bone lengths that
change as the body poses, children that cannot all be hit at once — is measured and reported as the retarget's
position error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from zerohsi.body.joint_maps import SMPL_JOINT_NAMES
from zerohsi.body.params import BodyModel, BodyParams
from zerohsi.body.smpl_rest import APPROX_REST_JOINTS, MODEL_TO_ZUP, NUM_BODY_JOINTS, SMPL_PARENTS
from zerohsi.outputs.export.skeleton import SkeletonAnimation, skeleton_animation, up_matrix

SMPL22_NAMES: tuple[str, ...] = SMPL_JOINT_NAMES[:NUM_BODY_JOINTS]
PARENTS22 = np.array(SMPL_PARENTS[:NUM_BODY_JOINTS], dtype=np.int64)
#: Mixamo's names for the same 22 joints (Mixamo's rig has SMPL's tree down to the hands and toes)
MIXAMO_NAMES: tuple[str, ...] = tuple("mixamorig:" + n for n in (
    "Hips", "LeftUpLeg", "RightUpLeg", "Spine", "LeftLeg", "RightLeg", "Spine1", "LeftFoot", "RightFoot", "Spine2",
    "LeftToeBase", "RightToeBase", "Neck", "LeftShoulder", "RightShoulder", "Head", "LeftArm", "RightArm",
    "LeftForeArm", "RightForeArm", "LeftHand", "RightHand"))

#: the anny bone standing for each SMPL joint (anny has no single bone at SMPL's spine2 or collar, its spine02 and
#: clavicles are the nearest)
ANNY_SOURCES: dict[str, str] = {
    "pelvis": "root", "left_hip": "upperleg01.L", "right_hip": "upperleg01.R", "spine1": "spine03",
    "left_knee": "lowerleg01.L", "right_knee": "lowerleg01.R", "spine2": "spine02", "left_ankle": "foot.L",
    "right_ankle": "foot.R", "spine3": "spine01", "left_foot": "toe3-1.L", "right_foot": "toe3-1.R",
    "neck": "neck01", "left_collar": "clavicle.L", "right_collar": "clavicle.R", "head": "head",
    "left_shoulder": "upperarm01.L", "right_shoulder": "upperarm01.R", "left_elbow": "lowerarm01.L",
    "right_elbow": "lowerarm01.R", "left_wrist": "wrist.L", "right_wrist": "wrist.R",
}


#: joints whose bone (from the parent) the exported skeleton lays out in SMPL's T-pose: the limbs, which rest
#: differently from body to body (anny rests in an A-pose); the torso keeps the body's own rest geometry
LIMB_JOINTS = frozenset(f"{s}_{j}" for s in ("left", "right")
                        for j in ("shoulder", "elbow", "wrist", "knee", "ankle", "foot"))


def smpl22_sources(body_model: BodyModel) -> Optional[list[int]]:
    """Index of the body joint standing for each of the 22 SMPL joints, or None when the body has no such map
    (a SMPL-family body by its own names, anny by :data:`ANNY_SOURCES`)."""
    names = [str(n) for n in body_model.joint_names]
    pos = {n: i for i, n in enumerate(names)}
    for table in ({n: n for n in SMPL22_NAMES}, ANNY_SOURCES):
        if all(table[n] in pos for n in SMPL22_NAMES):
            return [pos[table[n]] for n in SMPL22_NAMES]
    return None


@dataclass
class SmplMotion:
    """The retargeted motion in zerohsi's +Z-up world.

    rotations (T,22,3,3): SMPL joint rotations (model frame, relative to the parent; the root's maps the model
    frame to the world), trans (T,3) SMPL's translation (pelvis = rest_model[0] + trans), offsets (22,3) world rest
    offsets of the exported skeleton (the root's: its rest position), local (T,22,3,3) rotations since a
    world-aligned rest (BVH's reading), root (T,3) posed pelvis, joints (T,22,3) its forward kinematics, target
    (T,22,3) the body's joints it follows, error_m (T,22) their distances; rest_model (24,3) the skeleton's
    rest joints in the model frame (for readers that rebuild it, as zerohsi's importer does).
    """

    rotations: np.ndarray
    trans: np.ndarray
    offsets: np.ndarray
    local: np.ndarray
    root: np.ndarray
    joints: np.ndarray
    target: np.ndarray
    error_m: np.ndarray
    fps: float
    rest_model: np.ndarray

    @property
    def mean_error_m(self) -> float:
        return float(self.error_m.mean())

    @property
    def max_error_m(self) -> float:
        return float(self.error_m.max())

    def animation(self, names: tuple[str, ...], up: str = "y") -> SkeletonAnimation:
        """A :class:`SkeletonAnimation` of the exported skeleton for the BVH writer, in the ``up`` frame."""
        U = up_matrix(up)
        offsets = self.offsets @ U.T
        rest = np.zeros_like(offsets)
        for k, p in enumerate(PARENTS22):
            rest[k] = offsets[k] if p < 0 else rest[p] + offsets[k]
        return SkeletonAnimation(names=list(names), parents=PARENTS22.copy(), rest_joints=rest, offsets=offsets,
                                 root_positions=self.root @ U.T, local_rotations=U @ self.local @ U.T,
                                 joints=self.joints @ U.T, rest_vertices=np.zeros((0, 3)), fps=self.fps)


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...,3,3) smallest rotations taking directions a (...,3) onto b (...,3)."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True).clip(1e-12)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True).clip(1e-12)
    v = np.cross(a, b)
    c = (a * b).sum(-1)
    K = np.zeros(a.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    K = K - np.swapaxes(K, -1, -2)
    R = np.eye(3) + K + K @ K / (1.0 + c).clip(1e-9)[..., None, None]
    # (anti)parallel: a half turn about any axis perpendicular to a
    flip = c < -1 + 1e-9
    if np.any(flip):
        af = a[flip]
        p = np.where(np.abs(af[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
        k = np.cross(af, p)
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
        R[flip] = 2 * k[:, :, None] * k[:, None, :] - np.eye(3)
    return R


def _kabsch(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(...,3,3) rotations R minimising sum |R src_i - dst_i|^2; src, dst (...,K,3) (not centred: bone vectors)."""
    H = np.swapaxes(src, -1, -2) @ dst
    U, _, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(np.swapaxes(Vt, -1, -2) @ np.swapaxes(U, -1, -2)))
    D = np.zeros(d.shape + (3, 3))
    D[..., 0, 0], D[..., 1, 1], D[..., 2, 2] = 1.0, 1.0, d
    return np.swapaxes(Vt, -1, -2) @ D @ np.swapaxes(U, -1, -2)


@torch.no_grad()
def retarget_to_smpl(body_model: BodyModel, body: BodyParams, fps: float) -> SmplMotion:
    """Retarget ``body`` (T frames of ``body_model``) onto the SMPL-22 skeleton (see the module docstring)."""
    src = smpl22_sources(body_model)
    if src is None:
        raise ValueError(f"the '{getattr(body_model, 'name', '?')}' body has no SMPL joint correspondences")
    anim = skeleton_animation(body_model, body, fps, up="z")
    A = anim.global_rotations()[:, src]  # (T,22,3,3) each source bone's rotation since its rest
    target = anim.joints[:, src]  # (T,22,3)
    rest = anim.rest_joints[src]  # (22,3)
    T, J = target.shape[:2]
    children = [[c for c in range(J) if PARENTS22[c] == k] for k in range(J)]

    # the exported skeleton: the body's own rest torso (pelvis, spine, neck, head, collar joints), and the limbs in
    # SMPL's T-pose directions (facing like the body at rest) with the body's bone lengths
    tpose = APPROX_REST_JOINTS[:J] @ MODEL_TO_ZUP.T
    offsets = np.zeros((J, 3))
    for k, p in enumerate(PARENTS22):
        if p < 0:
            offsets[k] = rest[k]
        elif SMPL22_NAMES[k] in LIMB_JOINTS:
            d = tpose[k] - tpose[p]
            offsets[k] = d / np.linalg.norm(d) * np.linalg.norm(rest[k] - rest[p])
        else:
            offsets[k] = rest[k] - rest[p]

    G = np.zeros((T, J, 3, 3))
    align = np.zeros((J, 3, 3))  # fixed rotation from the SMPL T-pose bone frame to the body's rest bone frame
    for k in range(J):
        kids = children[k]
        if kids:
            u = np.stack([offsets[c] for c in kids])
            a = np.stack([rest[c] - rest[k] for c in kids])
            align[k] = _rotation_between(u[0], a[0]) if len(kids) == 1 else _kabsch(u, a)
        else:
            align[k] = align[PARENTS22[k]]  # a leaf keeps its parent's alignment
        G0 = A[:, k] @ align[k]
        if not kids:
            G[:, k] = G0
        elif len(kids) == 1:
            c = kids[0]
            G[:, k] = _rotation_between((G0 @ offsets[c])[:, :], target[:, c] - target[:, k]) @ G0
        else:
            u = np.stack([offsets[c] for c in kids])
            p = np.stack([target[:, c] - target[:, k] for c in kids], 1)
            G[:, k] = _kabsch(np.broadcast_to(u, p.shape), p)

    local = np.empty_like(G)
    joints = np.empty_like(target)
    for k, p in enumerate(PARENTS22):
        if p < 0:
            local[:, k] = G[:, k]
            joints[:, k] = target[:, k]
        else:
            local[:, k] = np.swapaxes(G[:, p], -1, -2) @ G[:, k]
            joints[:, k] = joints[:, p] + G[:, p] @ offsets[k]
    M = MODEL_TO_ZUP
    W = G @ M  # model frame -> world, per joint
    rotations = np.empty_like(G)
    rotations[:, 0] = W[:, 0]
    for k, p in enumerate(PARENTS22):
        if p >= 0:
            rotations[:, k] = np.swapaxes(W[:, p], -1, -2) @ W[:, k]
    # the exported skeleton's rest joints in the model frame (24: SMPL's two hand points follow the wrists)
    rest_world = np.zeros((J, 3))
    for k, p in enumerate(PARENTS22):
        rest_world[k] = offsets[k] if p < 0 else rest_world[p] + offsets[k]
    rest_model = np.concatenate([rest_world @ M, APPROX_REST_JOINTS[J:] - APPROX_REST_JOINTS[J - 2:J]
                                 + (rest_world @ M)[J - 2:J]])
    trans = target[:, 0] - rest_model[0]  # SMPL rotates about the root joint: pelvis = J_0 + trans
    error = np.linalg.norm(joints - target, axis=-1)
    return SmplMotion(rotations=rotations, trans=trans, offsets=offsets, local=local, root=target[:, 0].copy(),
                      joints=joints, target=target, error_m=error, fps=float(fps), rest_model=rest_model)
