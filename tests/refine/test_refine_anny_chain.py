"""Refinement on the real default body (anny), through the registry, chained as a run config lists refiners."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from zerohsi.motion import Motion
from zerohsi.plugins import get_host
from zerohsi.refine import apply_refiners, build_refiners
from zerohsi.refine.joint_limits import JointLimits
from zerohsi.refine.skeleton import FastBody

T = 8


@pytest.fixture(scope="module")
def anny_walk(anny_body):
    from zerohsi.body.poses import walk_pose

    g = torch.Generator().manual_seed(0)
    body = walk_pose(anny_body, torch.linspace(0, 0.7, T))
    body = body.replace(body_pose=body.body_pose + 0.03 * torch.randn(body.body_pose.shape, generator=g),
                        transl=torch.stack([torch.linspace(0, 0.8, T), torch.zeros(T), torch.full((T,), 0.95)], -1))
    return Motion(body, "anny", 10.0)


def test_fast_body_reproduces_anny(anny_body):
    core = torch.tensor(list(anny_body.core_joint_index().values()))
    ids = anny_body.vertex_sets()["left_hand"][:16]
    fb = FastBody(anny_body, torch.full((6,), 0.5), ids, joint_ids=core)
    assert not fb.exact and len(fb.active) < 60  # fingers and face bones are left out
    g = torch.Generator().manual_seed(1)
    params = anny_body.rest_params(3)
    params = params.replace(body_pose=0.2 * torch.randn(params.body_pose.shape, generator=g),
                            global_orient=torch.randn(3, 3, generator=g), transl=torch.randn(3, 3, generator=g))
    with torch.no_grad():
        ref = anny_body(params)
        fp = fb(params.transl, params.global_orient, params.body_pose)
    assert torch.allclose(fp.joints, ref.joints[:, fb.active], atol=1e-4)
    assert float((fp.vertices - ref.vertices[:, ids]).norm(dim=-1).mean()) < 1e-3


def test_natural_poses_are_within_the_joint_limits(anny_body, anny_walk):
    from zerohsi.body.poses import pose_preset

    fb = FastBody(anny_body, torch.full((6,), 0.5))
    limits = JointLimits(fb, anny_body)
    assert len(limits.names) == 16
    for params in (anny_walk.body, pose_preset(anny_body, "standing"), pose_preset(anny_body, "sitting")):
        fp = fb(params.transl, params.global_orient, params.body_pose)
        assert float(limits.penalty(fp)) < 1e-3


def test_chain_on_anny_through_the_registry(anny_body, anny_walk):
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=anny_body), scene=None, obj=None, dynamic=False)
    refiners = build_refiners([SimpleNamespace(name="physics", options={"iters": 60}), "temporal_smooth"])
    assert [n for n, _ in refiners] == ["physics", "temporal_smooth"]
    out, reports = apply_refiners(refiners, anny_walk, setup)
    assert [r["refiner"] for r in reports] == ["physics", "temporal_smooth"]
    phys = reports[0]
    assert set(phys["before"]) >= {"joints", "smooth", "contact", "joint_limits", "total"}
    assert phys["after"]["total"] < phys["before"]["total"]
    assert phys["after"]["joint_offset_mm"] < 15.0
    assert out.provenance["refiners"] == ["physics"] and len(out) == T
    assert get_host().get("refiner", "physics").distribution == "zerohsi"
