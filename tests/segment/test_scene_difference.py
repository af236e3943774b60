import math

import numpy as np
import pytest
import torch

from zerohsi.geometry import axis_angle_to_matrix, rotation_angle_deg
from zerohsi.segment.config import SceneDifferenceConfig
from zerohsi.segment.scene_difference import (
    SceneDifferenceSegmenter,
    align_rotation,
    fit_color_affine,
    padded_camera,
    warp_by_rotation,
)
from zerohsi.segment.testing import mask_iou, room, synthetic_clip


@pytest.fixture(scope="session")
def dynamic_clip():
    return synthetic_clip(4, 128, 96, dynamic=True, shake_deg=0.8, seed=0)


def test_scene_difference_iou_with_camera_shake(dynamic_clip):
    clip = dynamic_clip
    seg = SceneDifferenceSegmenter(SceneDifferenceConfig())
    masks = seg.segment(clip.video, clip.first_masks, clip.setup)
    assert masks.human.shape == clip.gt.human.shape and masks.object is not None
    iou_h, iou_o = mask_iou(masks.human, clip.gt.human), mask_iou(masks.object, clip.gt.object)
    assert (iou_h + iou_o) / 2 >= 0.9, (iou_h, iou_o)
    assert min(iou_h, iou_o) >= 0.85
    # the cameras were re-estimated: closer to the true (shaken) ones than the unshaken first camera
    err = [rotation_angle_deg(c.world_to_cam[:3, :3], ct.world_to_cam[:3, :3]).item()
           for c, ct in zip(seg.cameras, clip.cameras, strict=True)]
    base = [rotation_angle_deg(clip.setup.camera0.world_to_cam[:3, :3], ct.world_to_cam[:3, :3]).item()
            for ct in clip.cameras]
    assert np.mean(err[1:]) < 0.5 * np.mean(base[1:])


def test_scene_difference_static_scene_given_cameras():
    clip = synthetic_clip(3, 96, 72, dynamic=False, shake_deg=0.5, seed=1)
    masks = SceneDifferenceSegmenter().segment(clip.video, clip.first_masks, clip.setup, cameras=clip.cameras)
    assert masks.object is None
    assert mask_iou(masks.human, clip.gt.human) >= 0.88


def test_color_affine_recovers_gain_tint_with_outliers():
    g = torch.Generator().manual_seed(0)
    src = torch.rand(500, 3, generator=g)
    A = torch.tensor([[1.1, 0.05, 0.0, 0.02], [0.0, 0.9, 0.0, 0.05], [0.02, 0.0, 0.8, -0.01]])
    dst = src @ A[:, :3].T + A[:, 3]
    dst[:60] = torch.rand(60, 3, generator=g)  # foreground the masks missed
    torch.testing.assert_close(fit_color_affine(src, dst), A, atol=5e-3, rtol=0)  # a slight ridge toward identity


def test_rotation_alignment_recovers_a_turn():
    from zerohsi.cameras import Camera
    from zerohsi.render import render

    scene = room(spacing=0.12)
    cam = Camera.look_at((0.0, -2.2, 1.5), (0.0, 2.0, 0.9), width=64, height=48, fov_deg=60.0)
    big = padded_camera(cam, 6)
    with torch.no_grad():
        img_big = render(scene, big).rgb
    # identity warp of the padded render is its centre crop
    same = warp_by_rotation(img_big, big.K, cam.K, torch.eye(3), (64, 48))
    torch.testing.assert_close(same, img_big[6:-6, 6:-6], atol=1e-5, rtol=0)
    R_true = axis_angle_to_matrix(torch.tensor([0.004, -0.012, 0.006]))
    turned = cam.with_pose(torch.block_diag(R_true, torch.ones(1)) @ cam.world_to_cam)
    with torch.no_grad():
        frame = render(scene, turned).rgb
    R = align_rotation(img_big, big, frame, cam, torch.ones(48, 64), torch.eye(3, 4), iters=8, max_side_px=64)
    assert rotation_angle_deg(R, R_true).item() < 0.25 * math.degrees(0.0145)
