"""AMASS-style npz export: keys, plain arrays (no pickle), and values that reproduce the body."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from zerohsi.body.params import BodyParams
from zerohsi.outputs.export import export_motion
from zerohsi.outputs.export.npz import amass_arrays
from zerohsi.outputs.export.skeleton import Z_UP_TO_Y_UP


def _load(path):
    with np.load(path, allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


@pytest.mark.parametrize("up", ["z", "y"])
def test_npz_keys_and_values_reproduce_the_body(tmp_path, tiny_body, tiny_motion, up):
    d = _load(export_motion(tiny_motion, tiny_body, tmp_path, "npz", up=up, object_name="box"))
    T = len(tiny_motion)
    for key in ("trans", "root_orient", "pose_body", "betas", "mocap_framerate", "gender", "surface_model_type",
                "joints", "parents", "joint_names", "obj_poses", "obj_trans", "obj_root_orient"):
        assert key in d, key
    assert d["trans"].shape == (T, 3) and d["root_orient"].shape == (T, 3) and d["pose_body"].shape == (T, 12)
    assert float(d["mocap_framerate"]) == 10.0 and str(d["surface_model_type"]) == "tiny"
    assert str(d["up_axis"]) == up and str(d["obj_name"]) == "box"
    np.testing.assert_allclose(d["betas"], [0.5])
    U = Z_UP_TO_Y_UP if up == "y" else np.eye(3)
    want = tiny_body(tiny_motion.body).joints.numpy() @ U.T
    # the exported parameters, fed back to the body model, land on the (re-oriented) body
    t = lambda k: torch.from_numpy(d[k])  # noqa: E731
    params = BodyParams(t("trans"), t("root_orient"), t("pose_body"), torch.from_numpy(d["betas"])[None].repeat(T, 1))
    np.testing.assert_allclose(tiny_body(params).joints.numpy(), want, atol=1e-5)
    np.testing.assert_allclose(d["joints"], want, atol=1e-5)
    P = tiny_motion.object_poses.numpy()
    np.testing.assert_allclose(d["obj_trans"], P[:, :3, 3] @ U.T, atol=1e-5)
    np.testing.assert_allclose(d["obj_poses"][:, :3, :3], U @ P[:, :3, :3], atol=1e-5)


def test_npz_smplx_layout(tiny_body, tiny_motion):
    class FakeSmplx:  # a SMPL-X-named backend: 21 body + jaw + 2 eyes + 30 hand joints in body_pose
        name = "smplx"
        gender = "female"
        joint_names = [f"j{i}" for i in range(55)]
        parents = torch.tensor([-1] + [0] * 54)

        def __call__(self, params):
            return tiny_body(params.replace(body_pose=params.body_pose[:, :12]))

    T = len(tiny_motion)
    pose = torch.arange(T * 162, dtype=torch.float32).reshape(T, 162) / 1000
    motion = type(tiny_motion)(body=tiny_motion.body.replace(body_pose=pose), body_model="smplx", fps=30.0)
    d = amass_arrays(motion, FakeSmplx(), "z")
    assert d["pose_body"].shape == (T, 63) and d["pose_hand"].shape == (T, 90)
    assert d["pose_jaw"].shape == (T, 3) and d["pose_eye"].shape == (T, 6) and d["poses"].shape == (T, 165)
    np.testing.assert_allclose(d["pose_hand"], pose[:, 72:].numpy())
    np.testing.assert_allclose(d["poses"][:, 3:66], pose[:, :63].numpy())
    assert str(d["gender"]) == "female" and str(d["surface_model_type"]) == "smplx"


def test_npz_unknown_format_and_up_are_user_errors(tmp_path, tiny_body, tiny_motion):
    from zerohsi.errors import UserError

    with pytest.raises(UserError, match="format"):
        export_motion(tiny_motion, tiny_body, tmp_path, "fbx")
    with pytest.raises(UserError, match="up axis"):
        export_motion(tiny_motion, tiny_body, tmp_path, "npz", up="x")
    assert not list(tmp_path.iterdir())
