import torch

from zerohsi.body.params import CORE_JOINTS, BodyModel, core_joints
from zerohsi.plugins import get_host


def test_protocol_shapes_and_core_joints(anny_body):
    assert isinstance(anny_body, BodyModel)
    p = anny_body.rest_params(2)
    p.transl[1] = torch.tensor([1.0, -2.0, 0.5])
    out = anny_body(p)
    assert out.vertices.shape == (2, 13718, 3) and out.vertices.dtype == torch.float32
    assert out.joints.shape == (2, 104, 3) and out.joint_transforms.shape == (2, 104, 4, 4)
    # transl is the root (pelvis) position; translating moves every vertex by the same amount
    assert torch.allclose(out.joints[1, 0], p.transl[1])
    assert torch.allclose(out.vertices[1] - out.vertices[0], p.transl[1].expand(13718, 3), atol=1e-5)
    assert set(anny_body.core_joint_index()) == set(CORE_JOINTS)
    cj = core_joints(anny_body, out.joints[:1])[0]
    names = list(CORE_JOINTS)
    # body frame: +Z up, left side +X, facing -Y
    assert cj[names.index("head"), 2] > cj[names.index("pelvis"), 2] > cj[names.index("left_ankle"), 2]
    assert cj[names.index("left_hip"), 0] > 0 > cj[names.index("right_hip"), 0]
    assert cj[names.index("left_foot"), 1] < cj[names.index("left_ankle"), 1]  # toes point forward (-Y)


def test_vertex_sets_and_weights(anny_body):
    sets = anny_body.vertex_sets()
    v = anny_body(anny_body.rest_params(1)).vertices[0]
    for side, sign in (("left", 1), ("right", -1)):
        hand, sole = sets[f"{side}_hand"], sets[f"{side}_sole"]
        assert len(hand) > 100 and len(sole) > 50
        assert (sign * v[hand, 0] > 0.3).all()
        assert v[sole, 2].max() < v[:, 2].min() + 0.02
    W = anny_body.skinning_weights
    assert W.shape == (13718, 104) and torch.allclose(W.sum(1), torch.ones(13718), atol=1e-4)


def test_gradients_reach_every_parameter(anny_body):
    p = anny_body.rest_params(2)
    for t in (p.transl, p.global_orient, p.body_pose, p.shape):
        t.requires_grad_(True)
    out = anny_body(p)
    (out.vertices[..., 2].sum() + out.joints.square().sum()).backward()
    for t in (p.transl, p.global_orient, p.body_pose, p.shape):
        assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0


def test_shape_changes_height(anny_body):
    p = anny_body.rest_params(2)
    p.shape[1, 4] = 1.0  # height phenotype
    v = anny_body(p).vertices
    h = v[..., 2].max(1).values - v[..., 2].min(1).values
    assert h[1] > h[0] + 0.05


def test_registered_builtin():
    entry = get_host().get("body_model", "anny")
    assert entry.distribution == "zerohsi"
