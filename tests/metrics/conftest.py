"""A tiny forward-kinematics body over CORE_JOINTS, so metric arithmetic can be checked by hand."""

from __future__ import annotations

import pytest
import torch

from zerohsi.body.params import CORE_JOINTS, BodyOutput, BodyParams
from zerohsi.geometry import axis_angle_to_matrix
from zerohsi.motion import Motion

PARENT = {
    "pelvis": None, "left_hip": "pelvis", "right_hip": "pelvis", "spine": "pelvis", "left_knee": "left_hip",
    "right_knee": "right_hip", "chest": "spine", "left_ankle": "left_knee", "right_ankle": "right_knee",
    "left_foot": "left_ankle", "right_foot": "right_ankle", "neck": "chest", "head": "neck",
    "left_shoulder": "chest", "right_shoulder": "chest", "left_elbow": "left_shoulder",
    "right_elbow": "right_shoulder", "left_wrist": "left_elbow", "right_wrist": "right_elbow",
    "left_hand": "left_wrist", "right_hand": "right_wrist",
}
# rest offsets from the parent, metres, +Z up, +Y forward; the pelvis sits 0.9 m above the origin
OFFSET = {
    "pelvis": (0, 0, 0.9), "left_hip": (0.1, 0, -0.05), "right_hip": (-0.1, 0, -0.05), "spine": (0, 0, 0.15),
    "left_knee": (0, 0, -0.4), "right_knee": (0, 0, -0.4), "chest": (0, 0, 0.25), "left_ankle": (0, 0, -0.37),
    "right_ankle": (0, 0, -0.37), "left_foot": (0, 0.12, -0.06), "right_foot": (0, 0.12, -0.06),
    "neck": (0, 0, 0.2), "head": (0, 0, 0.15), "left_shoulder": (0.18, 0, 0.15),
    "right_shoulder": (-0.18, 0, 0.15), "left_elbow": (0.28, 0, 0), "right_elbow": (-0.28, 0, 0),
    "left_wrist": (0.25, 0, 0), "right_wrist": (-0.25, 0, 0), "left_hand": (0.08, 0, 0), "right_hand": (-0.08, 0, 0),
}
# every joint carries two vertices: at the joint and 2 cm below it (so vertex sums are checkable)
VERTS_PER_JOINT = 2


class StickBody:
    name = "stick"
    joint_names = list(CORE_JOINTS)
    num_body_joints = len(CORE_JOINTS) - 1
    shape_dim = 1

    def __init__(self) -> None:
        idx = {n: i for i, n in enumerate(CORE_JOINTS)}
        self.parents = torch.tensor([-1 if PARENT[n] is None else idx[PARENT[n]] for n in CORE_JOINTS])
        self.offsets = torch.tensor([OFFSET[n] for n in CORE_JOINTS], dtype=torch.float32)
        J = len(CORE_JOINTS)
        self.faces = torch.zeros(0, 3, dtype=torch.long)
        self.skinning_weights = torch.eye(J).repeat_interleave(VERTS_PER_JOINT, 0)

    def rest_params(self, batch: int = 1) -> BodyParams:
        return BodyParams(torch.zeros(batch, 3), torch.zeros(batch, 3), torch.zeros(batch, 3 * self.num_body_joints),
                          torch.zeros(batch, 1))

    def forward(self, params: BodyParams) -> BodyOutput:
        B, J = len(params), len(CORE_JOINTS)
        local = torch.cat([params.global_orient[:, None], params.body_pose.reshape(B, J - 1, 3)], 1)
        Rl = axis_angle_to_matrix(local)
        R, pos = [None] * J, [None] * J
        for j in range(J):
            p = int(self.parents[j])
            if p < 0:
                R[j], pos[j] = Rl[:, j], self.offsets[j].expand(B, 3) + params.transl
            else:
                R[j] = R[p] @ Rl[:, j]
                pos[j] = pos[p] + (R[p] @ self.offsets[j])
        joints = torch.stack(pos, 1)
        rot = torch.stack(R, 1)
        T = torch.zeros(B, J, 4, 4)
        T[..., :3, :3], T[..., :3, 3], T[..., 3, 3] = rot, joints, 1
        below = joints - torch.tensor([0, 0, 0.02])
        verts = torch.stack([joints, below], 2).reshape(B, J * VERTS_PER_JOINT, 3)
        return BodyOutput(verts, joints, T)

    __call__ = forward

    def core_joint_index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(CORE_JOINTS)}

    def vertex_sets(self) -> dict[str, torch.Tensor]:
        i = self.core_joint_index()
        v = lambda n: torch.tensor([VERTS_PER_JOINT * i[n] + k for k in range(VERTS_PER_JOINT)])  # noqa: E731
        return {"left_hand": v("left_hand"), "right_hand": v("right_hand"), "left_sole": v("left_foot"),
                "right_sole": v("right_foot")}


@pytest.fixture(scope="session")
def stick_body() -> StickBody:
    return StickBody()


def make_motion(transl: torch.Tensor, body_pose: torch.Tensor | None = None, fps: float = 10.0,
                **kw) -> Motion:
    T = transl.shape[0]
    pose = torch.zeros(T, 3 * (len(CORE_JOINTS) - 1)) if body_pose is None else body_pose
    return Motion(BodyParams(transl.float(), torch.zeros(T, 3), pose, torch.zeros(T, 1)), "stick", fps, **kw)


@pytest.fixture
def motion_factory():
    return make_motion
