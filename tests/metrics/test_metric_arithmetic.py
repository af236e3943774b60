"""Each metric against numbers worked out by hand on the stick body (see conftest.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from zerohsi.geometry import axis_angle_to_matrix, make_transform
from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.configs import FootSlidingConfig
from zerohsi.metrics.contact import HandObjectContact
from zerohsi.metrics.diversity import Diversity, diversity_of
from zerohsi.metrics.fidelity import (
    CameraError,
    JointError,
    MaskIoU,
    ObjectError,
    OrientError,
    RootError,
    procrustes_align,
)
from zerohsi.metrics.foot_sliding import FootSliding, estimate_floor_height
from zerohsi.metrics.penetration import ObjectPenetration, ScenePenetration
from zerohsi.segment.masks import Masks


@dataclass
class PlaneScene:
    floor_height: float

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        return p[..., 2] - self.floor_height


@dataclass
class Ball:
    radius: float = 0.1

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        return p.norm(dim=-1) - self.radius


def test_foot_sliding_constant_glide(stick_body, motion_factory):
    T, dx = 11, 0.01  # 0.1 m/s: slow enough to count as static for the floor estimate
    transl = torch.zeros(T, 3)
    transl[:, 0] = torch.arange(T) * dx
    out = FootSliding().compute(motion_factory(transl), EvalContext(stick_body))
    # toes rest at z=0.02 -> floor 0.02, toe h=0 (weight 1); ankles 0.06 above it (weight 2 - 2^0.75)
    assert out["floor_height_m"] == pytest.approx(0.02, abs=1e-6)
    toe = (T - 1) * dx * 1.0 / T * 1000
    ankle = (T - 1) * dx * (2 - 2 ** (0.06 / 0.08)) / T * 1000
    assert out["foot_sliding_left_foot"] == pytest.approx(toe, rel=1e-5)
    assert out["foot_sliding_right_ankle"] == pytest.approx(ankle, rel=1e-5)
    assert out["foot_sliding"] == pytest.approx((toe + ankle) / 2, rel=1e-5)


def test_foot_sliding_zero_when_still_or_airborne(stick_body, motion_factory):
    still = FootSliding().compute(motion_factory(torch.zeros(8, 3)), EvalContext(stick_body))
    assert still["foot_sliding"] == 0.0
    transl = torch.zeros(8, 3)
    transl[:, 0] = torch.arange(8) * 0.05
    transl[:, 2] = 0.5  # gliding half a metre up: no foot below its threshold
    cfg = FootSlidingConfig(floor="scene")
    out = FootSliding(cfg).compute(motion_factory(transl), EvalContext(stick_body, scene=PlaneScene(0.0)))
    assert out["foot_sliding"] == 0.0 and out["floor_height_m"] == 0.0


def test_floor_estimate_ignores_a_raised_minority():
    toes = torch.zeros(40, 1, 3)
    toes[:30, 0, 2] = 0.01  # mostly resting on the floor
    toes[30:, 0, 2] = 0.40  # then resting on a step
    toes[:, 0, 0] = 0.0
    assert estimate_floor_height(toes, fps=10) == pytest.approx(0.01)
    moving = torch.zeros(5, 1, 3)
    moving[:, 0, 0] = torch.arange(5.0)  # 10 m/s: never static -> lowest height
    moving[:, 0, 2] = torch.tensor([0.3, 0.2, 0.1, 0.2, 0.3])
    assert estimate_floor_height(moving, fps=10) == pytest.approx(0.1)


def test_scene_penetration(stick_body, motion_factory):
    transl = torch.zeros(2, 3)
    transl[1, 2] = 1.0  # second frame lifted clear of the floor
    scene = PlaneScene(0.03)
    out = ScenePenetration().compute(motion_factory(transl), EvalContext(stick_body, scene=scene))
    # frame 0: each foot has vertices at z=0.02 and 0.00 -> depths 0.01 + 0.03, two feet -> 0.08 m
    assert out["pene_max"] == pytest.approx(0.08, abs=1e-6)
    assert out["pene_mean"] == pytest.approx(0.04, abs=1e-6)
    # Pene%: frame 0 has the 4 foot vertices of 42 inside, frame 1 none -> 100 * (4/42 + 0) / 2 percent
    assert out["pene_pct"] == pytest.approx(100 * 4 / 42 / 2)
    assert out["pene_frames"] == pytest.approx(0.5)  # the old frame fraction, under its own name
    with pytest.raises(MetricSkipped, match="scene"):
        ScenePenetration().compute(motion_factory(transl), EvalContext(stick_body))


def _hand_motion(stick_body, motion_factory):
    motion = motion_factory(torch.zeros(2, 3))
    hand = stick_body(motion.body).joints[0, stick_body.core_joint_index()["left_hand"]]
    poses = torch.eye(4).repeat(2, 1, 1)
    poses[0, :3, 3] = hand  # ball centred on the left hand
    poses[1, :3, 3] = hand + torch.tensor([0.0, 1.0, 0.0])  # a metre away
    poses[:, :3, :3] = axis_angle_to_matrix(torch.tensor([0.0, 0.0, 0.7]))  # a rotation must not matter
    motion.object_poses = poses
    return motion


def test_contact_and_object_penetration(stick_body, motion_factory):
    motion = _hand_motion(stick_body, motion_factory)
    ctx = EvalContext(stick_body, obj=Ball(0.1))
    assert HandObjectContact().compute(motion, ctx)["contact"] == pytest.approx(0.5)
    # frame 0: left-hand vertices 0 and 2 cm from the centre -> depths 0.10, 0.08; right hand and frame 1: 0
    expected_cm = 100 * (0.10 + 0.08) / 4 / 2
    assert ObjectPenetration().compute(motion, ctx)["obj_pene_cm"] == pytest.approx(expected_cm, abs=1e-4)
    motion.object_poses = None
    with pytest.raises(MetricSkipped, match="object poses"):
        HandObjectContact().compute(motion, ctx)


def test_fidelity_metrics(stick_body, motion_factory):
    T = 4
    gen = torch.Generator().manual_seed(0)
    pose = 0.3 * torch.randn(T, 60, generator=gen)
    gt = motion_factory(torch.zeros(T, 3), pose)
    shifted = motion_factory(torch.tensor([[0.1, 0.0, 0.0]]).repeat(T, 1), pose.clone())
    ctx = EvalContext(stick_body, ground_truth=gt)
    j = JointError().compute(shifted, ctx)
    assert j["mpjpe_mm"] == pytest.approx(100.0, abs=1e-3)
    assert j["pa_mpjpe_mm"] == pytest.approx(0.0, abs=1e-3)
    assert RootError().compute(shifted, ctx)["root_err_cm"] == pytest.approx(10.0, abs=1e-4)
    assert JointError().compute(gt, ctx)["mpjpe_mm"] == 0.0
    turned = motion_factory(torch.zeros(T, 3), pose.clone())
    turned.body.global_orient[:] = torch.tensor([0.0, 0.0, math.radians(30)])
    assert OrientError().compute(turned, ctx)["orient_err_deg"] == pytest.approx(30.0, abs=1e-3)
    assert JointError().compute(turned, ctx)["pa_mpjpe_mm"] == pytest.approx(0.0, abs=1e-2)


def test_procrustes_recovers_similarity():
    gen = torch.Generator().manual_seed(1)
    gt = torch.randn(3, 10, 3, generator=gen, dtype=torch.float64)
    R = axis_angle_to_matrix(torch.tensor([0.3, -0.2, 0.9], dtype=torch.float64))
    pred = 1.7 * gt @ R.T + torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert torch.allclose(procrustes_align(pred, gt), gt, atol=1e-8)


def test_object_and_camera_errors(stick_body, motion_factory):
    T = 3
    R = axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.radians(10)]))
    gt_poses = torch.eye(4).repeat(T, 1, 1)
    pred_poses = make_transform(R.expand(T, 3, 3), torch.tensor([0.0, 0.05, 0.0]).expand(T, 3))
    gt = motion_factory(torch.zeros(T, 3), object_poses=gt_poses, K=torch.eye(3).repeat(T, 1, 1),
                        world_to_cam=gt_poses.clone(), image_size=(32, 32))
    pred = motion_factory(torch.zeros(T, 3), object_poses=pred_poses, K=torch.eye(3).repeat(T, 1, 1),
                          world_to_cam=pred_poses.clone(), image_size=(32, 32))
    ctx = EvalContext(stick_body, ground_truth=gt)
    obj = ObjectError().compute(pred, ctx)
    assert obj["obj_rot_err_deg"] == pytest.approx(10.0, abs=1e-3)
    assert obj["obj_transl_err_cm"] == pytest.approx(5.0, abs=1e-4)
    cam = CameraError().compute(pred, ctx)
    # camera centre = -R^T t: |centre| = 5 cm as well
    assert cam["cam_rot_err_deg"] == pytest.approx(10.0, abs=1e-3)
    assert cam["cam_transl_err_cm"] == pytest.approx(5.0, abs=1e-4)
    with pytest.raises(MetricSkipped, match="ground-truth"):
        ObjectError().compute(pred, EvalContext(stick_body))


def test_mask_iou(stick_body, motion_factory):
    gt = np.zeros((2, 4, 4), bool)
    gt[:, :2] = True  # 8 pixels
    pred = np.zeros((2, 4, 4), bool)
    pred[0, :1] = True  # 4 of 8 -> 0.5
    pred[1, :2] = True  # exact -> 1.0
    ctx = EvalContext(stick_body, masks=Masks(pred), gt_masks=Masks(gt))
    assert MaskIoU().compute(motion_factory(torch.zeros(2, 3)), ctx) == {"mask_iou_human": pytest.approx(0.75)}


def test_diversity(stick_body, motion_factory):
    a = motion_factory(torch.zeros(5, 3))
    b = motion_factory(torch.tensor([[0.3, 0.0, 0.0]]).repeat(5, 1))
    c = motion_factory(torch.tensor([[0.0, 0.4, 0.0]]).repeat(5, 1))
    out = Diversity().compute(a, EvalContext(stick_body, others=[b, c]))
    assert out["diversity"] == pytest.approx(0.35, abs=1e-6)
    joints = [stick_body(m.body).joints for m in (a, b, c)]
    assert diversity_of(joints) == pytest.approx((0.3 + 0.4 + 0.5) / 3, abs=1e-6)
    with pytest.raises(MetricSkipped, match="seeds"):
        Diversity().compute(a, EvalContext(stick_body))


def test_penetration_can_leave_the_floor_out(stick_body, motion_factory):
    from zerohsi.metrics.configs import PenetrationConfig

    class SceneWithFloor:
        floor_height = 0.03

        def sdf(self, p, *, include_floor=True):
            far = torch.full(p.shape[:-1], 5.0)  # no furniture anywhere
            return torch.minimum(far, p[..., 2] - self.floor_height) if include_floor else far

    motion = motion_factory(torch.zeros(2, 3))
    ctx = EvalContext(stick_body, scene=SceneWithFloor())
    assert ScenePenetration().compute(motion, ctx)["pene_max"] == pytest.approx(0.08, abs=1e-6)
    assert ScenePenetration(PenetrationConfig(include_floor=False)).compute(motion, ctx)["pene_max"] == 0.0
