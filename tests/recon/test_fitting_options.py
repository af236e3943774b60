"""Fitting options beyond the paper: constant-velocity root prediction and the free-joint restriction."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from zerohsi.errors import UserError
from zerohsi.geometry import axis_angle_to_matrix, rotation_angle_deg
from zerohsi.recon.fitting import HSIFitting, free_pose_mask


def _fitting(extrapolate: float, transl, orient) -> SimpleNamespace:
    return SimpleNamespace(cfg=SimpleNamespace(extrapolate=extrapolate), transl=transl, orient=orient)


def test_constant_velocity_root_prediction():
    transl = [torch.tensor([0.0, 0.0, 0.9]), torch.tensor([0.1, 0.0, 0.9])]
    orient = [torch.tensor([0.0, 0.0, 0.2]), torch.tensor([0.0, 0.0, 0.5])]
    t, o = HSIFitting._predicted_root(_fitting(1.0, transl, orient), 2)
    torch.testing.assert_close(t, torch.tensor([0.2, 0.0, 0.9]))
    torch.testing.assert_close(o, torch.tensor([0.0, 0.0, 0.8]))
    # half the velocity; a rotation about a tilted axis composes in the world frame
    orient = [torch.tensor([0.3, 0.0, 0.0]), torch.tensor([0.3, 0.0, 0.4])]
    _, o = HSIFitting._predicted_root(_fitting(0.5, transl, orient), 2)
    R0, R1 = axis_angle_to_matrix(orient[0]), axis_angle_to_matrix(orient[1])
    step = rotation_angle_deg(R1, R0)
    assert rotation_angle_deg(axis_angle_to_matrix(o), R1).item() == pytest.approx(0.5 * step.item(), rel=1e-4)
    # off, or too early to know a velocity: the previous frame's root as is
    for k, t_idx in ((0.0, 2), (1.0, 1)):
        t, o = HSIFitting._predicted_root(_fitting(k, transl, orient), t_idx)
        assert torch.equal(t, transl[t_idx - 1]) and torch.equal(o, orient[t_idx - 1])


def test_free_joint_mask_selects_named_bones(anny_body):
    like = anny_body.rest_params(1).body_pose[0]
    assert free_pose_mask(anny_body, [], like) is None
    idx = anny_body.core_joint_index()
    mask = free_pose_mask(anny_body, ["left_knee"], like).reshape(-1, 3)
    assert mask.sum() == 3 and mask[idx["left_knee"] - 1].eq(1).all()
    core = free_pose_mask(anny_body, ["core"], like).reshape(-1, 3)
    assert 10 < core[:, 0].sum() < mask.shape[0] / 2  # the limbs and spine, not anny's fingers and face
    with pytest.raises(UserError, match="tail"):
        free_pose_mask(anny_body, ["tail"], like)
