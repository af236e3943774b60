"""The exporters on the real default body (anny: 104 bones, 13,718 vertices, 9 bone weights per vertex); its native
skeleton and parameters (npz-native, bvh-native); the SMPL-retargeted formats are tested in test_export_smpl."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from zerohsi.body.params import BodyParams
from zerohsi.motion import Motion
from zerohsi.outputs.export import export_motion
from zerohsi.outputs.export.skeleton import Z_UP_TO_Y_UP, skeleton_animation


@pytest.fixture(scope="module")
def anny_motion(anny_body):
    body = anny_body
    T = 4
    g = torch.Generator().manual_seed(0)
    rest = body.rest_params(T)
    params = BodyParams(transl=torch.randn(T, 3, generator=g) * 0.3 + torch.tensor([0.0, 0.0, 1.0]),
                        global_orient=torch.randn(T, 3, generator=g) * 0.5,
                        body_pose=torch.randn(T, rest.body_pose.shape[1], generator=g) * 0.15,
                        shape=rest.shape)
    return body, Motion(body=params, body_model="anny", fps=10.0,
                        object_poses=torch.eye(4).repeat(T, 1, 1))


def test_anny_skeleton_fk_reproduces_joints(anny_motion):
    body, motion = anny_motion
    anim = skeleton_animation(body, motion.body, motion.fps, up="y")
    joints = body(motion.body).joints.double().numpy() @ Z_UP_TO_Y_UP.T
    np.testing.assert_allclose(anim.forward_kinematics(), joints, atol=2e-4)


def test_anny_bvh_round_trip(anny_motion, tmp_path):
    bvh = pytest.importorskip("bvh")
    from test_export_bvh import bvh_fk

    body, motion = anny_motion
    path = export_motion(motion.slice(0, 2), body, tmp_path, "bvh-native", up="z")
    assert path.name == "motion_anny.bvh"
    doc = bvh.Bvh(path.read_text())
    assert len(doc.get_joints_names()) == len(body.joint_names)
    fk = bvh_fk(doc)
    joints = body(motion.body[:2]).joints.double().numpy()
    names = ["_".join(n.split()) for n in body.joint_names]
    got = np.stack([fk[n] for n in names], 1)
    np.testing.assert_allclose(got, joints, atol=5e-4)


def test_anny_glb_and_npz(anny_motion, tmp_path):
    pygltflib = pytest.importorskip("pygltflib")
    from test_export_glb import _globals, _pose_at

    body, motion = anny_motion
    g = pygltflib.GLTF2().load(str(export_motion(motion, body, tmp_path, "glb")))
    prim = g.meshes[0].primitives[0]
    assert g.accessors[prim.attributes.POSITION].count == body.num_vertices
    assert len(g.skins[0].joints) == len(body.joint_names)
    joints = body(motion.body).joints.double().numpy() @ Z_UP_TO_Y_UP.T
    G = _globals(g, _pose_at(g, 2))
    np.testing.assert_allclose(np.stack([G[j][:3, 3] for j in g.skins[0].joints]), joints[2], atol=5e-4)

    d = np.load(export_motion(motion, body, tmp_path, "npz-native"), allow_pickle=False)
    assert d["pose_body"].shape == (4, 103 * 3) and d["betas"].shape == (body.shape_dim,)
    assert str(d["surface_model_type"]) == "anny" and d["joints"].shape == (4, 104, 3)
    assert list(d["shape_names"])[:2] == ["gender", "age"]
