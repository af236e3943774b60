"""The Table 4 ablations executed through the pipeline: w/o OPT_body keeps the initializer's poses, w/o OPT_all plays
a world trajectory rigidly aligned to the known initial state, and refuses an initializer that has none."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import zerohsi
from zerohsi.errors import UserError
from zerohsi.geometry import axis_angle_to_matrix, matrix_to_axis_angle
from zerohsi.plugins import get_host
from zerohsi.plugins.registry import Entry
from zerohsi.poseinit.base import PoseInit
from zerohsi.recon.fitting import align_to_initial_state

TINY = ["render.width=48", "render.height=36", "video.num_frames=3", "tracking.iters=2", "fit.iters=2",
        "fit.root_only_iters=1", "instance.scene_density=0.05", "avatar.num_gaussians=300", "metrics=[mpjpe]",
        "export.formats=[npz]", "export.report=false", "export.overlay_video=false"]
DRIFT = torch.tensor([0.1, 0.05, 0.0])  # metres per frame
TURN = axis_angle_to_matrix(torch.tensor([0.0, 0.0, 0.6]))  # the tool's world is turned and shifted against ours
SHIFT = torch.tensor([1.0, -2.0, 0.3])


class DriftingWorld:
    """A stand-in for a world-trajectory estimator (WHAM-like): the initial state drifting along DRIFT, expressed in
    a world that is rigidly moved against ours."""

    def initialize(self, video, masks, cameras, setup) -> PoseInit:
        T = len(video)
        b0 = setup.body0
        body = type(b0).cat([b0] * T)
        transl = (b0.transl + torch.arange(T)[:, None] * DRIFT) @ TURN.T + SHIFT
        orient = matrix_to_axis_angle(TURN @ axis_angle_to_matrix(b0.global_orient.expand(T, 3)))
        body = body.replace(transl=transl, global_orient=orient)
        return PoseInit(body=body, valid=np.ones(T, bool), world=True)


@pytest.fixture
def drifting_world():
    registry = get_host().registry("pose_initializer")
    registry.add(Entry("pose_initializer", "drifting_world", lambda cfg: DriftingWorld(), None, "test", "test",
                       "test", "0"))
    yield
    registry.entries.pop("drifting_world", None)


def test_alignment_is_rigid_and_lands_on_the_initial_state():
    gen = torch.Generator().manual_seed(0)
    transl, orient = torch.randn(5, 3, generator=gen), 0.5 * torch.randn(5, 3, generator=gen)
    t0, o0 = torch.tensor([0.2, 0.3, 0.9]), torch.tensor([0.0, 0.0, 1.0])
    t, o = align_to_initial_state(transl, orient, t0, o0)
    torch.testing.assert_close(t[0], t0)
    torch.testing.assert_close(axis_angle_to_matrix(o[0]), axis_angle_to_matrix(o0), atol=1e-5, rtol=0)
    # rigid: distances between frames and relative rotations are kept
    torch.testing.assert_close(torch.cdist(t, t), torch.cdist(transl, transl), atol=1e-5, rtol=0)
    rel = lambda x: axis_angle_to_matrix(x[0]).T @ axis_angle_to_matrix(x[3])  # noqa: E731
    torch.testing.assert_close(rel(o), rel(orient), atol=1e-5, rtol=0)


def test_wo_opt_all_plays_the_aligned_world_trajectory(tmp_path, drifting_world):
    result = zerohsi.run("demo", [*TINY, "fit.opt_all=false", "pose_initializer.name=drifting_world",
                                  f"cache_dir={tmp_path / 'cache'}"], run_dir=tmp_path / "run", progress=False)
    b0 = result.extras["setup"].body0
    body = result.motion.body
    expected = b0.transl + torch.arange(3)[:, None] * DRIFT  # the tool's drift, in our world, from the known start
    torch.testing.assert_close(body.transl, expected, atol=1e-4, rtol=0)
    for t in range(3):
        R = axis_angle_to_matrix(body.global_orient[t]) @ axis_angle_to_matrix(b0.global_orient[0]).T
        assert math.degrees(float(torch.arccos(((R.trace() - 1) / 2).clamp(-1, 1)))) < 1e-2


def test_wo_opt_all_refuses_an_initializer_without_a_world_trajectory(tmp_path):
    with pytest.raises(UserError, match="world trajectory"):
        zerohsi.run("demo", [*TINY, "fit.opt_all=false", f"cache_dir={tmp_path / 'cache'}"], run_dir=tmp_path / "r",
                    progress=False)


def test_wo_opt_body_keeps_the_initializer_poses(tmp_path):
    result = zerohsi.run("demo", [*TINY, "fit.opt_body=false", f"cache_dir={tmp_path / 'cache'}"],
                         run_dir=tmp_path / "run", progress=False)
    b0 = result.extras["setup"].body0
    body = result.motion.body
    # previous_frame carries frame 0's pose on: without OPT_body every frame keeps it; the root still moves
    assert torch.equal(body.body_pose, b0.body_pose.expand_as(body.body_pose))
    assert not torch.equal(body.transl[1], body.transl[0])
