import numpy as np
import pytest
import torch

from zerohsi.body.bvh import parse_bvh
from zerohsi.body.fitting import fit_to_joints, model_joints
from zerohsi.body.joint_maps import SMPL_JOINT_NAMES, SMPL_TO_CORE, bvh_core_map, core_index
from zerohsi.body.params import CORE_JOINTS, core_joints
from zerohsi.body.poses import (
    articulate,
    neutral_params,
    pose_preset,
    root_height_on_floor,
    seat_offset,
    walk_pose,
)
from zerohsi.errors import UserError


def _cj(model, params):
    j = core_joints(model, model_joints(model, params))
    return {n: j[:, k] for k, n in enumerate(CORE_JOINTS)}


def _dir(q, a, b):
    d = q[b] - q[a]
    return d / d.norm(dim=-1, keepdim=True)


def test_semantic_angles_follow_documented_signs(anny_body):
    n = _cj(anny_body, neutral_params(anny_body))
    assert torch.allclose(_dir(n, "left_shoulder", "left_elbow")[0], torch.tensor([0.0, 0.0, -1.0]), atol=1e-3)
    assert torch.allclose(_dir(n, "right_knee", "right_ankle")[0], torch.tensor([0.0, 0.0, -1.0]), atol=1e-3)
    q = _cj(anny_body, articulate(anny_body, neutral_params(anny_body), {
        "left_knee": {"flex": 90}, "right_shoulder": {"abduct": 90}, "left_shoulder": {"flex": 90},
        "right_hip": {"flex": 90}}))
    assert torch.allclose(_dir(q, "left_knee", "left_ankle")[0], torch.tensor([0.0, 1.0, 0.0]), atol=1e-3)  # heel back
    assert torch.allclose(_dir(q, "right_shoulder", "right_elbow")[0], torch.tensor([-1.0, 0.0, 0.0]), atol=1e-3)
    assert torch.allclose(_dir(q, "left_shoulder", "left_elbow")[0], torch.tensor([0.0, -1.0, 0.0]), atol=1e-3)
    assert torch.allclose(_dir(q, "right_hip", "right_knee")[0], torch.tensor([0.0, -1.0, 0.0]), atol=1e-3)
    with pytest.raises(UserError):
        articulate(anny_body, neutral_params(anny_body), {"left_knee": {"abduct_typo": 3}})


def test_presets_floor_and_seat(anny_body):
    p = pose_preset(anny_body, "standing", batch=2, on_floor=True, floor_z=0.25)
    v = anny_body(p).vertices
    assert torch.allclose(v[..., 2].min(1).values, torch.full((2,), 0.25), atol=1e-4)
    sit = pose_preset(anny_body, "sitting")
    off = seat_offset(anny_body, sit)
    assert 0.03 < float(off[0, 2]) < 0.2  # pelvis a few cm above the buttocks' lowest point
    seat = torch.tensor([[0.4, 1.0, 0.45]])
    sat = anny_body(sit.replace(transl=seat + off)).vertices[0]
    q = _cj(anny_body, sit)
    assert float(_dir(q, "left_hip", "left_knee")[0, 1]) < -0.9  # thighs forward
    # nothing of the thigh/pelvis region sinks below the seat height
    assert float(sat[:, 2].min()) < 0.45  # the legs hang below the seat
    assert float(root_height_on_floor(anny_body, sit)[0]) > 0.4
    w = walk_pose(anny_body, torch.tensor([0.0, 0.25, 0.5, 0.75]))
    q = _cj(anny_body, w)
    # at phase 0.25 the left thigh swings forward, at 0.75 the right one
    assert float(q["left_knee"][1, 1]) < float(q["right_knee"][1, 1])
    assert float(q["right_knee"][3, 1]) < float(q["left_knee"][3, 1])


def test_fit_recovers_known_pose_under_1cm(anny_body):
    p = pose_preset(anny_body, "reach_forward")
    p = articulate(anny_body, p, {"left_knee": {"flex": 30}, "spine": {"twist": 10}})
    p = p.replace(transl=torch.tensor([[0.5, 0.2, 0.9]]), global_orient=torch.tensor([[0.1, -0.2, 1.0]]))
    target = core_joints(anny_body, model_joints(anny_body, p)).detach()
    res = fit_to_joints(anny_body, target, iters=160, polish_iters=60)
    assert res.mean_error_m < 0.005
    assert max(res.joint_error_m.values()) < 0.01
    assert set(res.joint_error_m) == set(CORE_JOINTS)


def test_joint_maps():
    idx = core_index(SMPL_JOINT_NAMES, SMPL_TO_CORE)
    assert set(idx) == set(CORE_JOINTS) and idx["chest"] == 9 and idx["left_hand"] == 22
    conv, m = bvh_core_map(["mixamorig:Hips", "mixamorig:Spine", "mixamorig:Spine1", "mixamorig:Spine2",
                            "mixamorig:Neck", "mixamorig:Head", "mixamorig:LeftUpLeg", "mixamorig:LeftLeg",
                            "mixamorig:LeftFoot"])
    assert conv == "mixamo" and m["chest"] == 3 and m["left_ankle"] == 8
    with pytest.raises(UserError):
        bvh_core_map(["a", "b", "c"])


BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
  JOINT LeftUpLeg
  {
    OFFSET 9 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -40 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0333333
0 90 0 0 0 0 0 0 0 0 0 0
1 90 0 90 0 0 0 0 0 0 90 0
"""


def test_bvh_parser_forward_kinematics():
    b = parse_bvh(BVH)
    assert b.names == ["Hips", "Spine", "Spine_End", "LeftUpLeg", "LeftUpLeg_End"]
    assert list(b.parents) == [-1, 0, 1, 0, 3] and b.num_frames == 2 and abs(b.fps - 30) < 1e-3
    P = b.global_positions()
    assert np.allclose(P[0, 2], [0, 105, 0]) and np.allclose(P[0, 4], [9, 50, 0])
    # frame 1: root rotated 90 deg about Z: +Y -> -X; the hip's X-rotation of 90 deg turns -Y into -Z (local)
    assert np.allclose(P[1, 1], [1 - 10, 90, 0], atol=1e-9)
    assert np.allclose(P[1, 4] - P[1, 3], [0, 0, -40], atol=1e-9)
    with pytest.raises(ValueError):
        parse_bvh("HIERARCHY\nROOT x\n{\nOFFSET 0 0\n")
