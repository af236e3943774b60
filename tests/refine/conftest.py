"""A small skinned humanoid used by the refinement tests (fast; anny-based tests use the shared fixture).

Its bone frames are rotated at rest (like anny's), its body pose is expressed in bone frames and its global
orientation rotates about the world origin: the refiner must discover these conventions, not assume SMPL's.
"""

from __future__ import annotations

import pytest
import torch

from zerohsi.body.params import CORE_JOINTS, BodyOutput, BodyParams
from zerohsi.geometry import axis_angle_to_matrix

_PARENT = {
    "pelvis": None, "left_hip": "pelvis", "right_hip": "pelvis", "spine": "pelvis", "left_knee": "left_hip",
    "right_knee": "right_hip", "chest": "spine", "left_ankle": "left_knee", "right_ankle": "right_knee",
    "left_foot": "left_ankle", "right_foot": "right_ankle", "neck": "chest", "head": "neck",
    "left_shoulder": "chest", "right_shoulder": "chest", "left_elbow": "left_shoulder",
    "right_elbow": "right_shoulder", "left_wrist": "left_elbow", "right_wrist": "right_elbow",
    "left_hand": "left_wrist", "right_hand": "right_wrist",
}
# T-pose, +Z up, facing -Y, the body's left on +X
_REST = {
    "pelvis": (0, 0, 0.95), "left_hip": (0.09, 0, 0.9), "right_hip": (-0.09, 0, 0.9), "spine": (0, 0, 1.08),
    "left_knee": (0.09, 0, 0.5), "right_knee": (-0.09, 0, 0.5), "chest": (0, 0, 1.25),
    "left_ankle": (0.09, 0, 0.08), "right_ankle": (-0.09, 0, 0.08), "left_foot": (0.09, -0.13, 0.02),
    "right_foot": (-0.09, -0.13, 0.02), "neck": (0, 0, 1.48), "head": (0, 0, 1.62),
    "left_shoulder": (0.18, 0, 1.43), "right_shoulder": (-0.18, 0, 1.43), "left_elbow": (0.45, 0, 1.43),
    "right_elbow": (-0.45, 0, 1.43), "left_wrist": (0.7, 0, 1.43), "right_wrist": (-0.7, 0, 1.43),
    "left_hand": (0.78, 0, 1.43), "right_hand": (-0.78, 0, 1.43),
}


def _frame_along(d: torch.Tensor) -> torch.Tensor:
    """A rotation whose local y axis points along d (like Blender/anny bones)."""
    y = d / d.norm()
    ref = torch.tensor([0.0, 0.0, 1.0]) if abs(float(y[2])) < 0.9 else torch.tensor([1.0, 0.0, 0.0])
    x = torch.linalg.cross(y, ref)
    x = x / x.norm()
    z = torch.linalg.cross(x, y)
    return torch.stack([x, y, z], -1)


class ToyBody:
    """21 joints (exactly CORE_JOINTS), 8 skinned vertices per bone, one shape parameter (overall scale)."""

    name = "toy"

    def __init__(self) -> None:
        self.joint_names = list(CORE_JOINTS)
        idx = {n: i for i, n in enumerate(self.joint_names)}
        self.parents = torch.tensor([-1 if _PARENT[n] is None else idx[_PARENT[n]] for n in self.joint_names])
        self.rest_joints = torch.tensor([_REST[n] for n in self.joint_names], dtype=torch.float32)
        children = {i: [j for j in range(len(self.parents)) if int(self.parents[j]) == i] for i in idx.values()}
        frames, verts, weights = [], [], []
        J = len(self.joint_names)
        for i in range(J):
            p = int(self.parents[i])
            if children[i]:
                d = self.rest_joints[children[i][0]] - self.rest_joints[i]
            else:
                d = self.rest_joints[i] - self.rest_joints[p]
            frames.append(_frame_along(d))
            # a ring of vertices along the bone, the first half blended with the parent bone
            R = frames[-1]
            for k in range(8):
                ang = torch.tensor(k * 0.785)
                off = 0.04 * (torch.cos(ang) * R[:, 0] + torch.sin(ang) * R[:, 2])
                along = (0.2 + 0.1 * (k % 4)) * (d if children[i] else d * 0.5)
                verts.append(self.rest_joints[i] + along + off)
                w = torch.zeros(J)
                if k < 4 and p >= 0:
                    w[i], w[p] = 0.7, 0.3
                else:
                    w[i] = 1.0
                weights.append(w)
        self.rest_R = torch.stack(frames)
        self.rest_vertices = torch.stack(verts)
        self.skinning_weights = torch.stack(weights)
        self.faces = torch.zeros(0, 3, dtype=torch.long)
        self.num_body_joints = J - 1
        self.shape_dim = 1
        self.forward_calls = 0

    def rest_params(self, batch: int = 1) -> BodyParams:
        z = torch.zeros(batch, 3)
        return BodyParams(z, z.clone(), torch.zeros(batch, self.num_body_joints * 3), torch.zeros(batch, 1))

    def core_joint_index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.joint_names)}

    def vertex_sets(self) -> dict[str, torch.Tensor]:
        def bone(*names):
            return torch.cat([torch.arange(8) + 8 * self.joint_names.index(n) for n in names])

        return {"left_hand": bone("left_wrist", "left_hand"), "right_hand": bone("right_wrist", "right_hand"),
                "left_sole": bone("left_foot"), "right_sole": bone("right_foot")}

    def forward(self, params: BodyParams) -> BodyOutput:
        self.forward_calls += 1
        B = len(params)
        s = 1.0 + 0.1 * params.shape[:, :1]  # (B,1)
        rest_t = self.rest_joints[None] * s[..., None]  # (B,J,3)
        rest_R = self.rest_R.expand(B, -1, -1, -1)
        pose_R = axis_angle_to_matrix(params.body_pose.reshape(B, -1, 3))
        Ro = axis_angle_to_matrix(params.global_orient)
        Rs, ts = [None] * len(self.parents), [None] * len(self.parents)
        for j in range(len(self.parents)):
            p = int(self.parents[j])
            if p < 0:
                Rs[j] = Ro @ rest_R[:, j]
                ts[j] = (Ro @ rest_t[:, j, :, None])[..., 0] + params.transl
                continue
            LR = rest_R[:, p].transpose(-1, -2) @ rest_R[:, j]
            Lt = (rest_R[:, p].transpose(-1, -2) @ (rest_t[:, j] - rest_t[:, p])[..., None])[..., 0]
            Rs[j] = Rs[p] @ LR @ pose_R[:, j - 1]
            ts[j] = (Rs[p] @ Lt[..., None])[..., 0] + ts[p]
        R, t = torch.stack(Rs, 1), torch.stack(ts, 1)
        G = torch.zeros(B, len(self.parents), 4, 4)
        G[..., :3, :3], G[..., :3, 3], G[..., 3, 3] = R, t, 1
        A_R = R @ rest_R.transpose(-1, -2)
        A_t = t - (A_R @ rest_t[..., None])[..., 0]
        v_rest = self.rest_vertices[None] * s[..., None]
        M = torch.einsum("vj,bjxy->bvxy", self.skinning_weights, A_R)
        b = torch.einsum("vj,bjx->bvx", self.skinning_weights, A_t)
        verts = (M @ v_rest[..., None])[..., 0] + b
        return BodyOutput(vertices=verts, joints=t, joint_transforms=G)

    __call__ = forward


@pytest.fixture(scope="session")
def toy_body() -> ToyBody:
    return ToyBody()
