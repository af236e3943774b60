"""The physics refiner on a small skinned humanoid: each term does what it claims, and only that."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from zerohsi.body.params import BodyParams
from zerohsi.motion import Motion
from zerohsi.refine.configs import PhysicsConfig
from zerohsi.refine.physics import PhysicsObjective, PhysicsRefiner

T = 12


def _motion(body, transl=None, pose=None, object_poses=None) -> Motion:
    P = body.num_body_joints * 3
    transl = torch.zeros(T, 3) if transl is None else transl
    pose = torch.zeros(T, P) if pose is None else pose
    params = BodyParams(transl, torch.zeros(T, 3), pose, torch.zeros(T, 1))
    return Motion(params, body.name, 10.0, object_poses=object_poses)


def _setup(body, scene=None, obj=None):
    return SimpleNamespace(avatar=SimpleNamespace(body_model=body), scene=scene, obj=obj, dynamic=obj is not None)


def _cfg(**kw) -> PhysicsConfig:
    base = dict(iters=150, lr=0.02, lambda_physics=0.0, w_joint_limits=0.0)
    base.update(kw)
    return PhysicsConfig(**base)


def _jerk(x: torch.Tensor) -> float:
    return float(x.diff(n=3, dim=0).norm(dim=-1).mean())


def _walk_pose(body, t: torch.Tensor) -> torch.Tensor:
    """A smooth, non-trivial body-pose sequence (hips and knees swinging)."""
    pose = torch.zeros(len(t), body.num_body_joints * 3)
    names = body.joint_names
    for name, amp in (("left_hip", 0.4), ("right_hip", -0.4), ("left_knee", 0.3), ("right_elbow", 0.5)):
        j = names.index(name) - 1
        pose[:, 3 * j] = amp * torch.sin(t)
    return pose


class _Sphere:
    def __init__(self, center, radius):
        self.center, self.radius = torch.tensor(center), radius

    def sdf(self, p):
        return (p - self.center.to(p)).norm(dim=-1) - self.radius


class _Box:
    """Axis-aligned solid box scene (SDF negative inside)."""

    floor_height = -10.0

    def __init__(self, lo, hi):
        self.lo, self.hi = torch.tensor(lo), torch.tensor(hi)

    def sdf(self, p):
        c, h = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2
        q = (p - c.to(p)).abs() - h.to(p)
        return q.clamp_min(0).norm(dim=-1) + q.max(-1).values.clamp_max(0)


def test_joint_fit_alone_keeps_the_motion(toy_body):
    t = torch.linspace(0, 2 * math.pi, T)
    transl = torch.stack([0.3 * t, torch.zeros(T), torch.zeros(T)], -1)
    motion = _motion(toy_body, transl, _walk_pose(toy_body, t))
    out, report = PhysicsRefiner(_cfg()).refine(motion, _setup(toy_body))
    assert report["before"]["joints"] == pytest.approx(0.0, abs=1e-10)
    assert report["after"]["joint_offset_mm"] < 1.0
    assert torch.allclose(out.body.transl, motion.body.transl, atol=1e-3)
    assert out.provenance["refiners"] == ["physics"]


def test_smoothness_reduces_jerk_and_leaves_a_static_pose(toy_body):
    gen = torch.Generator().manual_seed(1)
    t = torch.linspace(0, math.pi, T)
    pose = _walk_pose(toy_body, t)
    noisy = pose + 0.08 * torch.randn(pose.shape, generator=gen)
    transl = torch.stack([0.2 * t, torch.zeros(T), torch.zeros(T)], -1) + 0.02 * torch.randn(T, 3, generator=gen)
    cfg = _cfg(lambda_physics=1.0, lambda_smooth=0.5, w_joints=1.0, iters=200)
    out, rep = PhysicsRefiner(cfg).refine(_motion(toy_body, transl, noisy), _setup(toy_body))
    assert _jerk(out.body.body_pose) < 0.7 * _jerk(noisy)
    assert rep["after"]["smooth"] < rep["before"]["smooth"]

    static = _motion(toy_body, None, pose[:1].expand(T, -1).clone())
    out, rep = PhysicsRefiner(cfg).refine(static, _setup(toy_body))
    assert torch.allclose(out.body.body_pose, static.body.body_pose, atol=1e-6)
    assert torch.allclose(out.body.transl, static.body.transl, atol=1e-6)


def test_contact_pulls_the_hand_onto_the_object(toy_body):
    rest_hand = toy_body.rest_joints[toy_body.joint_names.index("left_hand")]
    # a ball 6 cm beyond the left hand (within the 10 cm contact band)
    obj = _Sphere([0.0, 0.0, 0.0], 0.05)
    pose_obj = torch.eye(4).repeat(T, 1, 1)
    pose_obj[:, :3, 3] = rest_hand + torch.tensor([0.11, 0.0, 0.0])
    motion = _motion(toy_body, object_poses=pose_obj)
    setup = _setup(toy_body, obj=obj)
    cfg = _cfg(lambda_physics=1.0, lambda_contact=1.0, lambda_smooth=0.0, w_joints=1.0, iters=200)
    out, rep = PhysicsRefiner(cfg).refine(motion, setup)
    assert 0.03 * T < rep["before"]["contact"] < 0.07 * T
    assert rep["after"]["contact"] < 0.5 * rep["before"]["contact"]
    # the right hand is far from the object: its contact never enters, so it keeps its place
    objective = PhysicsObjective(cfg, toy_body, motion, setup)
    assert objective.contact_mask[:, 0].all() and not objective.contact_mask[:, 1].any()


def test_penetration_pushes_the_body_out_of_a_box(toy_body):
    # the lower legs stand inside a 30 cm high solid block
    scene = _Box([-1.0, -1.0, -0.5], [1.0, 1.0, 0.3])
    motion = _motion(toy_body)
    cfg = _cfg(w_penetration=1.0, w_joints=0.01, iters=200, lr=0.02, penetration_vertices=500)
    out, rep = PhysicsRefiner(cfg).refine(motion, _setup(toy_body, scene=scene))
    assert rep["before"]["penetration"] > 1.0
    assert rep["after"]["penetration"] < 0.05 * rep["before"]["penetration"]
    verts = toy_body(out.body).vertices
    assert float((-scene.sdf(verts)).clamp_min(0).max()) < 0.02


def test_joint_limits_undo_a_hyperextended_knee(toy_body):
    j = toy_body.joint_names.index("right_knee")
    from zerohsi.refine.joint_limits import JointLimits
    from zerohsi.refine.skeleton import FastBody

    fb = FastBody(toy_body, torch.zeros(1))
    limits = JointLimits(fb, toy_body)
    k = limits.names.index("right_knee")
    axis = limits.axes[k][0] * limits.signs[k][0]
    pose = torch.zeros(T, toy_body.num_body_joints * 3)
    pose[:, 3 * (j - 1):3 * j] = fb.rest_R[j].T @ (axis * math.radians(-40))  # bent the wrong way
    motion = _motion(toy_body, None, pose)
    z = torch.zeros(T, 3)
    assert torch.rad2deg(limits.angles(fb(z, z, pose))[0, k, 0]) == pytest.approx(-40, abs=0.5)
    cfg = _cfg(w_joint_limits=10.0, w_joints=0.01, iters=200)
    out, rep = PhysicsRefiner(cfg).refine(motion, _setup(toy_body))
    after = torch.rad2deg(limits.angles(fb(out.body.transl, out.body.global_orient, out.body.body_pose)))
    assert float(after[:, k, 0].min()) > -13
    assert rep["after"]["joint_limits"] < 0.05 * rep["before"]["joint_limits"]


def test_foot_skating_term_pins_feet_on_the_floor(toy_body):
    gen = torch.Generator().manual_seed(3)
    # standing still but the whole body drifts sideways with jitter: the feet slide on the floor
    transl = torch.cumsum(0.01 + 0.01 * torch.rand(T, 3, generator=gen), 0) * torch.tensor([1.0, 1.0, 0.0])
    scene = SimpleNamespace(floor_height=0.0, sdf=lambda p: p[..., 2])
    motion = _motion(toy_body, transl)
    cfg = _cfg(w_foot_skate=1.0, w_joints=0.1, iters=200)
    out, rep = PhysicsRefiner(cfg).refine(motion, _setup(toy_body, scene=scene))
    assert rep["before"]["foot_skate"] > 0.1
    assert rep["after"]["foot_skate"] < 0.5 * rep["before"]["foot_skate"]


def test_refinement_is_deterministic_for_a_seed(toy_body):
    gen = torch.Generator().manual_seed(4)
    t = torch.linspace(0, math.pi, T)
    noisy = _walk_pose(toy_body, t) + 0.05 * torch.randn(T, toy_body.num_body_joints * 3, generator=gen)
    scene = _Box([-1.0, -1.0, -0.5], [1.0, 1.0, 0.1])
    cfg = _cfg(lambda_physics=1.0, w_penetration=1.0, penetration_vertices=40, iters=40, seed=7)
    a, _ = PhysicsRefiner(cfg).refine(_motion(toy_body, None, noisy), _setup(toy_body, scene=scene))
    b, _ = PhysicsRefiner(cfg).refine(_motion(toy_body, None, noisy), _setup(toy_body, scene=scene))
    assert torch.equal(a.body.body_pose, b.body.body_pose) and torch.equal(a.body.transl, b.body.transl)


def test_lambda_smooth_follows_the_instance_type(toy_body):
    cfg = PhysicsConfig()
    static = PhysicsObjective(cfg, toy_body, _motion(toy_body), _setup(toy_body))
    dynamic = PhysicsObjective(cfg, toy_body, _motion(toy_body, object_poses=torch.eye(4).repeat(T, 1, 1)),
                               _setup(toy_body, obj=_Sphere([0, 0, 0], 0.1)))
    assert static.lambda_smooth == 0.3 and dynamic.lambda_smooth == 0.1
    assert static.weights()["smooth"] == pytest.approx(0.3e-3)


def test_wrong_body_model_is_a_user_error(toy_body):
    from zerohsi.errors import UserError

    motion = _motion(toy_body)
    motion.body_model = "anny"
    with pytest.raises(UserError):
        PhysicsRefiner(_cfg()).refine(motion, _setup(toy_body))
