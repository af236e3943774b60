"""The metrics on the real default body (anny): standing still on the floor, gliding, touching a ball."""

from __future__ import annotations

import pytest
import torch

from zerohsi.metrics.base import EvalContext
from zerohsi.metrics.contact import HandObjectContact
from zerohsi.metrics.foot_sliding import FootSliding
from zerohsi.metrics.penetration import ObjectPenetration, ScenePenetration
from zerohsi.motion import Motion


class Floor:
    floor_height = 0.0

    def sdf(self, p):
        return p[..., 2] - self.floor_height


class Ball:
    def sdf(self, p):
        return p.norm(dim=-1) - 0.08


def _standing(body, T: int) -> Motion:
    params = body.rest_params(T)
    # put the lowest rest vertex exactly on the floor (z = 0)
    lowest = body(params[:1]).vertices[0, :, 2].min()
    params.transl[:, 2] -= lowest
    return Motion(params, body.name, 10.0)


def test_standing_still_on_the_floor(anny_body):
    motion = _standing(anny_body, 6)
    ctx = EvalContext(anny_body, scene=Floor())
    slide = FootSliding().compute(motion, ctx)
    assert slide["foot_sliding"] == pytest.approx(0.0, abs=1e-3)
    pene = ScenePenetration().compute(motion, ctx)
    assert pene["pene_max"] < 1e-3  # touching, not inside
    sunk = Motion(motion.body.replace(transl=motion.body.transl - torch.tensor([0.0, 0.0, 0.05])), motion.body_model,
                  10.0)
    sunk_pene = ScenePenetration().compute(sunk, EvalContext(anny_body, scene=Floor()))
    assert sunk_pene["pene_frames"] == 1.0  # every frame has a vertex inside
    assert 0.0 < sunk_pene["pene_pct"] < 20.0  # but only the vertices within 5 cm of the soles (percent)


def test_gliding_feet_slide(anny_body):
    motion = _standing(anny_body, 6)
    motion.body.transl[:, 0] += torch.arange(6) * 0.01  # 1 cm per frame along x, feet on the floor
    out = FootSliding().compute(motion, EvalContext(anny_body))
    # toes on the floor slide 1 cm per frame for 5 of 6 frames at weight ~1 -> about 8 mm; ankles weigh a bit more
    assert 5.0 < out["foot_sliding_left_foot"] < 12.0 and out["foot_sliding"] > 5.0


def test_hand_in_ball_is_contact(anny_body):
    motion = _standing(anny_body, 2)
    hand = anny_body(motion.body).vertices[:, anny_body.vertex_sets()["right_hand"]].mean(1)  # (2,3)
    poses = torch.eye(4).repeat(2, 1, 1)
    poses[:, :3, 3] = hand
    poses[1, 2, 3] += 1.0  # second frame: the ball a metre above the hand
    motion.object_poses = poses
    ctx = EvalContext(anny_body, obj=Ball())
    assert HandObjectContact().compute(motion, ctx)["contact"] == pytest.approx(0.5)
    assert ObjectPenetration().compute(motion, ctx)["obj_pene_cm"] > 0.0
