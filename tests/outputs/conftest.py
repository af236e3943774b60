"""Fixtures for the output tests: a tiny hand-made BodyModel (a branching 5-joint skeleton skinned by LBS)."""

from __future__ import annotations

import pytest
import torch

from zerohsi.body.params import BodyOutput, BodyParams
from zerohsi.geometry import axis_angle_to_matrix, make_transform
from zerohsi.motion import Motion

# pelvis -> spine -> head, spine -> left arm, spine -> right arm; rest pose stands along +Z
REST = torch.tensor([[0.0, 0.0, 0.9], [0.0, 0.0, 1.3], [0.0, 0.0, 1.6], [0.2, 0.0, 1.4], [-0.2, 0.0, 1.4]])
PARENTS = torch.tensor([-1, 0, 1, 1, 1])
NAMES = ["pelvis", "spine", "head", "left arm", "right_arm"]


class TinyBody:
    """Implements the BodyModel protocol: local rotations about world-aligned rest frames, shape scales bones.

    joint_transforms are posed bone frames whose rest rotation is NOT the identity (like anny's bones), to check
    that exporters only rely on ``T_posed @ inv(T_rest)``.
    """

    name = "tiny"
    joint_names = NAMES
    parents = PARENTS
    num_body_joints = 4
    shape_dim = 1

    def __init__(self) -> None:
        # vertices: 4 around each joint-to-parent segment midpoint, some blended between two joints
        verts, weights = [], []
        J = len(NAMES)
        for j in range(J):
            p = int(PARENTS[j]) if PARENTS[j] >= 0 else j
            mid = (REST[j] + REST[p]) / 2 if p != j else REST[j] - torch.tensor([0, 0, 0.1])
            for k, d in enumerate(([0.05, 0, 0], [-0.05, 0, 0], [0, 0.05, 0], [0, -0.05, 0])):
                verts.append(mid + torch.tensor(d))
                w = torch.zeros(J)
                if k < 2 and p != j:
                    w[j], w[p] = 0.6, 0.4
                else:
                    w[j] = 1.0
                weights.append(w)
        self.rest_vertices = torch.stack(verts)
        self.skinning_weights = torch.stack(weights)
        V = self.rest_vertices.shape[0]
        self.faces = torch.tensor([[i, (i + 1) % V, (i + 2) % V] for i in range(0, V - 2, 2)], dtype=torch.long)
        # a fixed, non-identity rest orientation per bone frame
        self.bone_rest_rot = axis_angle_to_matrix(torch.tensor([[0.3 * j, -0.2, 0.1 * j] for j in range(J)]))

    def rest_params(self, batch: int = 1) -> BodyParams:
        return BodyParams(torch.zeros(batch, 3), torch.zeros(batch, 3), torch.zeros(batch, 12), torch.zeros(batch, 1))

    def core_joint_index(self) -> dict[str, int]:
        return {"pelvis": 0, "spine": 1, "head": 2, "left_hand": 3, "right_hand": 4}

    def vertex_sets(self) -> dict[str, torch.Tensor]:
        return {}

    def __call__(self, params: BodyParams) -> BodyOutput:
        return self.forward(params)

    def forward(self, params: BodyParams) -> BodyOutput:
        B = len(params)
        scale = 1.0 + 0.1 * params.shape[:, :1]  # (B,1)
        rest = REST[None] * torch.ones(B, 1, 1)
        rest = rest[:, :1] + (rest - rest[:, :1]) * scale[:, :, None]  # bones scale about the pelvis
        local = axis_angle_to_matrix(torch.cat([params.global_orient[:, None],
                                                params.body_pose.reshape(B, 4, 3)], 1))  # (B,J,3,3)
        glob_R, glob_p = [None] * 5, [None] * 5
        for j in range(5):
            p = int(PARENTS[j])
            if p < 0:
                glob_R[j] = local[:, j]
                glob_p[j] = rest[:, j] + params.transl
            else:
                glob_R[j] = glob_R[p] @ local[:, j]
                glob_p[j] = glob_p[p] + (glob_R[p] @ (rest[:, j] - rest[:, p])[..., None])[..., 0]
        R, joints = torch.stack(glob_R, 1), torch.stack(glob_p, 1)
        bone = make_transform(R @ self.bone_rest_rot, joints)
        rest_bone = make_transform(self.bone_rest_rot.expand(B, -1, -1, -1), rest)
        A = bone @ torch.linalg.inv(rest_bone)  # (B,J,4,4) skinning transforms
        rest_v = self.rest_vertices[None].expand(B, -1, -1)  # the mesh is not rescaled by shape: only bones
        Wt = self.skinning_weights[None].expand(B, -1, -1)
        T = torch.einsum("bvj,bjkl->bvkl", Wt, A)
        verts = (T[..., :3, :3] @ rest_v[..., None])[..., 0] + T[..., :3, 3]
        return BodyOutput(vertices=verts, joints=joints, joint_transforms=bone)


def random_motion(T: int, seed: int = 0, with_object: bool = True, shape: float = 0.5) -> Motion:
    g = torch.Generator().manual_seed(seed)
    body = BodyParams(
        transl=torch.cumsum(0.05 * torch.randn(T, 3, generator=g), 0),
        global_orient=torch.randn(T, 3, generator=g) * 0.8,
        body_pose=torch.randn(T, 12, generator=g) * 0.7,
        shape=torch.full((T, 1), shape),
    )
    poses = None
    if with_object:
        from zerohsi.geometry import axis_angle_to_matrix as aa2m

        R = aa2m(torch.randn(T, 3, generator=g))
        t = torch.randn(T, 3, generator=g)
        poses = make_transform(R, t)
    return Motion(body=body, body_model="tiny", fps=10.0, object_poses=poses)


@pytest.fixture(scope="session")
def tiny_body() -> TinyBody:
    return TinyBody()


@pytest.fixture(scope="session")
def make_motion():
    """random_motion itself: test modules cannot import it, every test folder has a module named conftest."""
    return random_motion


@pytest.fixture(scope="session")
def tiny_motion() -> Motion:
    return random_motion(12)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, tiny_motion):
    from run_folder import make_run_folder

    return make_run_folder(tmp_path_factory.mktemp("runs") / "demo-s0", random_motion(12, seed=1))
