"""Skeleton animation in the form BVH and glTF want: world-aligned rest frames, per-joint local rotations.

Every body backend gives posed joint frames ``joint_transforms`` (B,J,4,4). Whether those are bone frames (rest
rotation not identity) or relative skinning transforms (identity at rest), ``A = T_posed @ inv(T_rest)`` is the
rigid motion each bone went through since the rest pose. Exporters describe the skeleton with rest frames aligned
to the world axes (offsets = rest joint differences), so a joint's local rotation is ``A_parent^T A_joint`` and the
root's rotation is ``A_root`` itself; forward kinematics then reproduces the backend's posed joints exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from zerohsi.body.params import BodyModel, BodyParams
from zerohsi.errors import UserError

#: frames per forward pass when walking a long sequence (bounds memory: anny has 13.7k vertices per frame)
CHUNK_FRAMES = 128

#: rotation taking zerohsi's +Z-up world to a +Y-up world: (x, y, z) -> (x, z, -y)
Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def up_matrix(up: str) -> np.ndarray:
    """(3,3) rotation from the zerohsi world (+Z up) to the requested up axis ('z' or 'y')."""
    up = up.lower()
    if up == "z":
        return np.eye(3)
    if up == "y":
        return Z_UP_TO_Y_UP.copy()
    raise UserError(f"Unknown up axis '{up}'; use 'z' or 'y'.")


@dataclass
class SkeletonAnimation:
    """A body motion as a skeleton with world-aligned rest frames (all arrays float64, in the chosen up frame).

    names (J,); parents (J,) int, -1 for the root; rest_joints (J,3) rest-pose joint positions (metres);
    offsets (J,3) rest offset of each joint from its parent (the root's is its rest position);
    root_positions (T,3) posed root joint position; local_rotations (T,J,3,3) rotation of each joint relative to
    its parent's (the root's relative to the world); joints (T,J,3) posed joint positions from the backend;
    rest_vertices (V,3) rest-pose mesh (same frame); fps.
    """

    names: list[str]
    parents: np.ndarray
    rest_joints: np.ndarray
    offsets: np.ndarray
    root_positions: np.ndarray
    local_rotations: np.ndarray
    joints: np.ndarray
    rest_vertices: np.ndarray
    fps: float

    @property
    def num_frames(self) -> int:
        return int(self.root_positions.shape[0])

    @property
    def root(self) -> int:
        return int(np.flatnonzero(self.parents < 0)[0])

    def children(self, j: int) -> list[int]:
        return [int(c) for c in np.flatnonzero(self.parents == j)]

    def depth_first(self) -> list[int]:
        """Joint indices in depth-first order from the root (the order BVH channel data follows)."""
        order, stack = [], [self.root]
        while stack:
            j = stack.pop()
            order.append(j)
            stack.extend(reversed(self.children(j)))
        return order

    def global_rotations(self) -> np.ndarray:
        """(T,J,3,3) rotation of every joint frame relative to the world (its rest frame is world-aligned)."""
        glob = np.zeros_like(self.local_rotations)
        for j in self.depth_first():
            p = self.parents[j]
            glob[:, j] = self.local_rotations[:, j] if p < 0 else glob[:, p] @ self.local_rotations[:, j]
        return glob

    def forward_kinematics(self) -> np.ndarray:
        """(T,J,3) joint positions recomputed from root positions, offsets and local rotations."""
        glob = self.global_rotations()
        pos = np.zeros(self.local_rotations.shape[:2] + (3,))
        for j in self.depth_first():
            p = self.parents[j]
            pos[:, j] = self.root_positions if p < 0 else pos[:, p] + glob[:, p] @ self.offsets[j]
        return pos


def rest_params_like(body_model: BodyModel, body: BodyParams) -> BodyParams:
    """Rest pose (no translation, orientation or pose) with the sequence's first-frame shape, B = 1."""
    shape = body.shape[:1].detach().to(torch.float32)
    zeros = lambda n: torch.zeros(1, n, dtype=shape.dtype, device=shape.device)  # noqa: E731
    return BodyParams(zeros(3), zeros(3), zeros(body.body_pose.shape[1]), shape)


def validate_parents(parents: np.ndarray, names: list[str]) -> None:
    roots = np.flatnonzero(parents < 0)
    if len(roots) != 1:
        raise ValueError(f"the skeleton must have exactly one root joint, found {len(roots)}")
    if len(names) != len(parents):
        raise ValueError(f"{len(names)} joint names for {len(parents)} joints")


@torch.no_grad()
def skeleton_animation(body_model: BodyModel, body: BodyParams, fps: float, up: str = "z") -> SkeletonAnimation:
    """Walk ``body`` (B = T frames) through the backend in chunks and express it as a world-aligned skeleton."""
    U = up_matrix(up)
    parents = np.asarray(torch.as_tensor(body_model.parents).cpu().numpy(), dtype=np.int64)
    names = [str(n) for n in body_model.joint_names]
    validate_parents(parents, names)
    device = model_device(body_model)
    rest_out = body_model(rest_params_like(body_model, body).to(device))
    T_rest = rest_out.joint_transforms[0].double().cpu()
    rest_joints = rest_out.joints[0].double().cpu().numpy()
    rest_inv = torch.linalg.inv(T_rest)

    rots, joints = [], []
    for start in range(0, len(body), CHUNK_FRAMES):
        j, T_posed = posed_joints(body_model, body[start:start + CHUNK_FRAMES].detach().to(torch.float32).to(device))
        rots.append((T_posed.double().cpu() @ rest_inv)[..., :3, :3].numpy())
        joints.append(j.double().cpu().numpy())
    A = np.concatenate(rots)  # (T,J,3,3) rotation of each bone since rest, world frame
    joints_w = np.concatenate(joints)
    A = _orthonormalise(A)

    local = np.empty_like(A)
    for j, p in enumerate(parents):
        local[:, j] = A[:, j] if p < 0 else np.swapaxes(A[:, p], -1, -2) @ A[:, j]
    # change of world frame: positions p -> U p; a rotation about the root R -> U R U^T, local ones alike
    local = U @ local @ U.T
    root = int(np.flatnonzero(parents < 0)[0])
    rest_u = rest_joints @ U.T
    offsets = np.array([rest_u[j] - (rest_u[p] if p >= 0 else 0.0) for j, p in enumerate(parents)])
    joints_u = joints_w @ U.T
    rest_vertices = rest_out.vertices[0].double().cpu().numpy() @ U.T
    return SkeletonAnimation(names=names, parents=parents, rest_joints=rest_u, offsets=offsets,
                             root_positions=joints_u[:, root].copy(), local_rotations=local, joints=joints_u,
                             rest_vertices=rest_vertices, fps=float(fps))


def posed_joints(body_model: BodyModel, params: BodyParams) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,J,3) joints and (B,J,4,4) joint transforms, skipping mesh skinning when the backend offers
    ``forward_kinematics(params) -> (joints, joint_transforms)`` (exports need no vertices)."""
    fk = getattr(body_model, "forward_kinematics", None)
    if callable(fk):
        joints, transforms = fk(params)
        return joints, transforms
    out = body_model(params)
    return out.joints, out.joint_transforms


def _orthonormalise(R: np.ndarray) -> np.ndarray:
    """Nearest rotations (float32 backends drift slightly off SO(3); Euler and quaternion conversion want exact)."""
    u, _, vt = np.linalg.svd(R)
    d = np.sign(np.linalg.det(u @ vt))
    u[..., :, -1] *= d[..., None]
    return u @ vt


def model_device(body_model: BodyModel) -> torch.device:
    """Where the backend computes (its ``device`` attribute, else where its skinning weights live)."""
    dev = getattr(body_model, "device", None)
    if isinstance(dev, (str, torch.device)):
        return torch.device(dev)
    weights = getattr(body_model, "skinning_weights", None)
    return weights.device if isinstance(weights, torch.Tensor) else torch.device("cpu")
