import pytest
import torch
from zerohsi_smplx.body import from_native
from zerohsi_smplx.testing import write_random_smpl_model, write_random_smplx_model

from zerohsi.body.avatar import Avatar
from zerohsi.body.fitting import fit_to_joints, model_joints, retarget
from zerohsi.body.params import CORE_JOINTS, BodyModel, core_joints
from zerohsi.body.poses import articulate, neutral_params
from zerohsi.errors import UserError
from zerohsi.plugins import get_host


@pytest.fixture(scope="module")
def smplx_body(tmp_path_factory):
    folder = write_random_smplx_model(tmp_path_factory.mktemp("smplx_models"))
    return get_host().build("body_model", "smplx", {"model_path": str(folder)})


def test_missing_files_say_where_to_get_them(tmp_path):
    with pytest.raises(UserError, match="smpl-x.is.tue.mpg.de"):
        get_host().build("body_model", "smplx", {"model_path": str(tmp_path)})


def test_backend_frames_and_protocol(smplx_body):
    assert isinstance(smplx_body, BodyModel)
    assert get_host().get("body_model", "smplx").distribution == "zerohsi-smplx"
    p = smplx_body.rest_params(2)
    p.transl[1] = torch.tensor([1.0, 2.0, 0.9])
    out = smplx_body(p)
    assert out.vertices.shape == (2, 10475, 3) and out.joints.shape == (2, 55, 3)
    assert torch.allclose(out.joints[1, 0], p.transl[1], atol=1e-5)
    cj = core_joints(smplx_body, out.joints[:1])[0]
    names = list(CORE_JOINTS)
    assert cj[names.index("head"), 2] > cj[names.index("pelvis"), 2] > cj[names.index("left_knee"), 2]  # Z up
    assert cj[names.index("left_hip"), 0] > 0  # left is +X
    assert cj[names.index("left_foot"), 1] < cj[names.index("left_ankle"), 1]  # facing -Y
    assert torch.allclose(out.joint_transforms[0, :, :3, :3], torch.eye(3).expand(55, 3, 3), atol=1e-5)
    p.body_pose.normal_(0, 0.3)
    full = smplx_body(p)
    joints, frames = smplx_body.forward_kinematics(p)
    assert torch.allclose(joints, full.joints, atol=1e-5) and torch.allclose(frames, full.joint_transforms, atol=1e-5)
    sets = smplx_body.vertex_sets()
    assert len(sets["left_hand"]) > 0 and len(sets["right_sole"]) > 0


def test_native_conversion_y_and_z_up(smplx_body):
    g = torch.Generator().manual_seed(0)
    go, pose = 0.3 * torch.randn(2, 3, generator=g), 0.2 * torch.randn(2, 63, generator=g)
    betas, transl = 0.5 * torch.randn(2, 10, generator=g), torch.randn(2, 3, generator=g)
    native = smplx_body.native(betas, go, pose, transl).joints[:, :55]
    C = smplx_body.C
    for up, expect in (("y", native @ C.T), ("z", native)):
        params = from_native(smplx_body, go, pose, betas, transl, up=up)
        assert torch.allclose(smplx_body(params).joints, expect, atol=1e-5)


def test_semantic_pose_and_retarget_to_anny(smplx_body, anny_body):
    p = articulate(smplx_body, neutral_params(smplx_body), {"left_knee": {"flex": 90}})
    j = core_joints(smplx_body, model_joints(smplx_body, p))[0]
    names = list(CORE_JOINTS)
    shin = j[names.index("left_ankle")] - j[names.index("left_knee")]
    assert float(shin[1]) > 0.9 * float(shin.norm())  # heel goes back (+Y)
    res = retarget(smplx_body, p, anny_body, iters=120, polish_iters=30)
    assert res.mean_error_m < 0.06  # different bodies: bone lengths differ, the pose carries over
    q = core_joints(anny_body, model_joints(anny_body, res.params))[0]
    shin_a = q[names.index("left_ankle")] - q[names.index("left_knee")]
    assert float(shin_a[1]) > 0.8 * float(shin_a.norm())
    # fitting its own joints recovers the pose
    own = fit_to_joints(smplx_body, core_joints(smplx_body, model_joints(smplx_body, p)).detach(), iters=120,
                        polish_iters=30)
    assert own.mean_error_m < 0.01


def test_avatar_on_smplx(smplx_body, tmp_path):
    av = Avatar.create(smplx_body, num_gaussians=300, appearance="sporty", seed=1)
    g = av.gaussians(smplx_body.rest_params(1))
    assert g.means.shape == (300, 3) and torch.isfinite(g.means).all()
    av.save(tmp_path / "s.safetensors")
    back = Avatar.load(tmp_path / "s.safetensors", smplx_body)
    assert torch.allclose(back.gaussians(smplx_body.rest_params(1)).means, g.means)


def test_random_smpl_model(tmp_path):
    folder = write_random_smpl_model(tmp_path)
    body = get_host().build("body_model", "smplx", {"model_path": str(folder), "model_type": "smpl"})
    out = body(body.rest_params(1))
    assert out.vertices.shape == (1, 6890, 3) and body.num_body_joints == 23


def test_amass_import_exact_and_cli(smplx_body, tmp_path):
    import numpy as np

    from zerohsi.body.motion_import import import_amass
    from zerohsi.cli.main import main
    from zerohsi.motion import Motion

    g = np.random.default_rng(0)
    T = 4
    poses = np.zeros((T, 156), dtype=np.float32)
    poses[:, :3] = [np.pi / 2, 0, 0]  # AMASS bodies stand up in their Z-up world by a root rotation about X
    poses[:, 3:66] = 0.2 * g.standard_normal((T, 63))
    trans = np.cumsum(0.05 * g.standard_normal((T, 3)), 0).astype(np.float32)
    path = tmp_path / "clip_poses.npz"
    np.savez(path, poses=poses, trans=trans, betas=np.zeros(16), mocap_framerate=np.float64(60.0))
    motion, res, report = import_amass(path, smplx_body, smplx_body)
    assert res is None and len(motion) == 4 and motion.fps == 60.0
    # the AMASS world is Z-up: the imported body stands upright in zerohsi's world
    j = smplx_body(motion.body).joints
    head, pelvis = smplx_body.core_joint_index()["head"], 0
    assert (j[:, head, 2] - j[:, pelvis, 2] > 0.3).all()
    native = smplx_body.native(torch.zeros(T, 10), torch.from_numpy(poses[:, :3]), torch.from_numpy(poses[:, 3:66]),
                               torch.from_numpy(trans)).joints[:, :55]
    assert torch.allclose(j, native, atol=1e-4)  # Z-up world = zerohsi world
    out = tmp_path / "m.npz"
    assert main(["motion", "import", str(path), "-o", str(out), "--body", "anny", "--model-path",
                 str(smplx_body.cfg.model_path), "--model-type", "smplx", "--iters", "20", "--fps", "30"]) == 0
    m = Motion.load(out)
    assert m.body_model == "anny" and len(m) == 2 and m.fps == 30.0
