import pickle
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from zerohsi.body.smpl_skeleton import SmplSkeleton
from zerohsi.errors import UserError
from zerohsi.poseinit.retarget import YUP_TO_ZUP, align_world, core_targets, fill_gaps, pose_init_from_joints
from zerohsi.poseinit.testing import random_smpl_motion, transform_params, write_smpl_family_model
from zerohsi.safe_pickle import load_joblib, load_pickle
from zerohsi.video.video import Video


@pytest.fixture(scope="module")
def smplx_skeleton(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    write_smpl_family_model(d / "smplx" / "SMPLX_NEUTRAL.npz", "smplx")
    return SmplSkeleton.from_model_file(d, "smplx")


def test_skeleton_forward_kinematics(smplx_skeleton):
    sk = smplx_skeleton
    zero = sk.joints(torch.zeros(1, 3), torch.zeros(1, 63))
    torch.testing.assert_close(zero[0], sk.rest_joints)
    # bending the left knee (joint 4) by 90 degrees about x moves the ankle, not the hip, and keeps the shin length
    pose = torch.zeros(1, 21, 3)
    pose[0, 3] = torch.tensor([torch.pi / 2, 0, 0])
    bent = sk.joints(torch.zeros(1, 3), pose.reshape(1, -1))[0]
    torch.testing.assert_close(bent[1], zero[0, 1])
    torch.testing.assert_close((bent[7] - bent[4]).norm(), (zero[0, 7] - zero[0, 4]).norm())
    assert (bent[7] - zero[0, 7]).norm() > 0.3
    # a whole-body rigid motion expressed through global_orient/transl moves every joint rigidly
    m = random_smpl_motion(3, "smplx", seed=1)
    R = YUP_TO_ZUP.numpy()
    t = np.array([1.0, 2.0, 0.5])
    o2, t2 = transform_params(sk, m["global_orient"], m["transl"], m["betas"], R, t)
    j1 = sk.joints(*(torch.as_tensor(m[k]) for k in ("global_orient", "body_pose", "betas", "transl")))
    j2 = sk.joints(torch.as_tensor(o2), torch.as_tensor(m["body_pose"]), torch.as_tensor(m["betas"]),
                   torch.as_tensor(t2))
    torch.testing.assert_close(j2, j1 @ torch.as_tensor(R).T + torch.as_tensor(t))


def test_yup_to_zup_and_gravity_alignment():
    torch.testing.assert_close(YUP_TO_ZUP @ torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64),
                               torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))
    assert torch.det(YUP_TO_ZUP) == 1
    g = torch.randn(4, 5, 3, dtype=torch.float64)
    rot_g0 = torch.eye(3, dtype=torch.float64)
    # frame 0 in our world is tilted (a bad single-frame orientation): gravity is kept, only the heading follows
    tilt = torch.tensor([[1, 0, 0], [0, 0.995, -0.0998], [0, 0.0998, 0.995]], dtype=torch.float64)
    yaw = torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64)
    rot_w0 = tilt @ yaw @ YUP_TO_ZUP
    out = align_world(g, g[0], rot_g0, g[0] @ (yaw @ YUP_TO_ZUP).T, rot_w0)
    torch.testing.assert_close(out, g @ (yaw @ YUP_TO_ZUP).T, atol=1e-3, rtol=0)


def test_fill_gaps_interpolates_and_holds():
    v = torch.arange(6, dtype=torch.float64)[:, None, None].expand(6, 2, 3).clone()
    valid = np.array([False, True, True, False, False, True])
    filled, notes = fill_gaps(v * torch.as_tensor(valid)[:, None, None], valid)
    torch.testing.assert_close(filled[:, 0, 0], torch.tensor([1.0, 1, 2, 3, 4, 5], dtype=torch.float64))
    assert notes and "0, 3-4" in notes[0] and "3/6" in notes[0]
    with pytest.raises(UserError, match="no person"):
        fill_gaps(v, np.zeros(6, bool))


class _Payload:
    def __reduce__(self):
        return (eval, ("1+1",))


def test_restricted_unpickler(tmp_path):
    ok = tmp_path / "ok.pkl"
    with open(ok, "wb") as f:
        pickle.dump({"a": np.arange(3.0), "b": [np.float32(1.5), (1, 2)], "c": {"d": np.eye(2, dtype=np.int64)}}, f)
    data = load_pickle(ok)
    np.testing.assert_array_equal(data["c"]["d"], np.eye(2))
    assert load_joblib(ok)["b"][1] == (1, 2)
    bad = tmp_path / "bad.pkl"
    with open(bad, "wb") as f:
        pickle.dump({"x": _Payload()}, f)
    for loader in (load_pickle, load_joblib):
        with pytest.raises(UserError, match="builtins.eval"):
            loader(bad)
    with pytest.raises(UserError, match="does not exist"):
        load_pickle(tmp_path / "missing.pkl")


def test_previous_frame_and_rest(anny_body):
    from zerohsi.poseinit.config import RestConfig
    from zerohsi.poseinit.simple import PreviousFrameInitializer, RestInitializer

    video = Video(np.zeros((4, 8, 8, 3), np.uint8), 10.0)
    body0 = anny_body.rest_params(1)
    body0 = body0.replace(body_pose=body0.body_pose + 0.1, transl=torch.tensor([[1.0, 2.0, 0.9]]))
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=anny_body), body0=body0)
    init = PreviousFrameInitializer().initialize(video, None, [], setup)
    assert init.carry_previous and init.body is None and init.valid.all()
    init = RestInitializer().initialize(video, None, [], setup)
    assert len(init.body) == 4 and not init.carry_previous
    torch.testing.assert_close(init.body.body_pose, anny_body.rest_params(4).body_pose)
    torch.testing.assert_close(init.body.transl, body0.transl.expand(4, 3))
    init = RestInitializer(RestConfig(from_initial_state=True)).initialize(video, None, [], setup)
    torch.testing.assert_close(init.body.body_pose, body0.body_pose.expand(4, -1))


def test_builtins_registered():
    from zerohsi.plugins import get_host

    host = get_host()
    assert {"previous_frame", "rest"} <= set(host.registry("pose_initializer").entries)
    assert "scene_difference" in host.registry("segmenter").entries
    assert host.build("pose_initializer", "rest", {"from_initial_state": True}).cfg.from_initial_state


def test_retarget_onto_anny(anny_body, smplx_skeleton):
    """SMPL-X joints of a short clip with a gap -> anny BodyParams whose core joints follow them."""
    from zerohsi.body.fitting import model_joints
    from zerohsi.body.params import core_joints

    m = random_smpl_motion(4, "smplx", seed=3)
    m["betas"][:] = 0
    o, tr = transform_params(smplx_skeleton, m["global_orient"], m["transl"], m["betas"],
                             YUP_TO_ZUP.numpy(), np.zeros(3))
    joints = smplx_skeleton.joints(torch.as_tensor(o), torch.as_tensor(m["body_pose"]), None, torch.as_tensor(tr))
    valid = np.array([True, True, False, True])
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=anny_body), body0=anny_body.rest_params(1))
    init = pose_init_from_joints(setup, joints * torch.as_tensor(valid)[:, None, None], valid, smplx_skeleton,
                                 world=True, notes=["x"], iters=60)
    assert init.world and init.valid.tolist() == valid.tolist() and init.notes[0] == "x" and len(init.notes) == 2
    assert len(init.body) == 4
    torch.testing.assert_close(init.body.shape, setup.body0.shape.expand(4, -1))
    got = core_joints(anny_body, model_joints(anny_body, init.body)).double()
    want = core_targets(smplx_skeleton, joints)
    err = (got - want).norm(dim=-1)
    # different skeletons (bone lengths differ by centimetres): the pelvis lands, the limbs follow closely
    assert err[valid][:, 0].max() < 0.08
    assert err[valid].mean() < 0.08
