"""The HSI objective: its named terms (paper / addition, the paper preset's weights), the keypoint term, and the
claim in zerohsi/recon/fitting.py that rendering a frame in a crop around the human and the object, with the
photometric term scaled by crop/full area and the centroids normalised by the full image, gives the full-frame
objective's gradients."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from zerohsi.clip_setup import build_setup
from zerohsi.composition import composite, make_render_fn
from zerohsi.config import load_config
from zerohsi.poseinit.base import PoseInit
from zerohsi.poseinit.keypoints import KeypointTrack
from zerohsi.recon.fitting import HSIFitting
from zerohsi.recon.losses import HSI_TERMS

SMALL = ["instance.name=bedroom_move_vase", "render.width=96", "render.height=72", "instance.scene_density=0.05",
         "avatar.num_gaussians=300", "fit.w_mask=1", "fit.w_center_human=1e-3", "fit.w_temporal=0.05",
         "render.backend=torch"]


@pytest.fixture(scope="module")
def problem_pair():
    cfg = load_config("fast", SMALL)
    setup = build_setup(cfg, torch.device("cpu"))
    render_fn = make_render_fn(cfg)
    b0 = setup.body0
    moved = b0.replace(transl=b0.transl + torch.tensor([[0.05, -0.03, 0.0]]))
    # the object moves too: at an exact match L1's gradient would be the sign of rounding noise
    obj_moved = setup.object_pose0.clone()
    obj_moved[:3, 3] += torch.tensor([0.04, 0.0, 0.03])
    cam = setup.camera0
    with torch.no_grad():
        frames, human, obj = [], [], []
        for params, pose in ((b0, setup.object_pose0), (moved, obj_moved)):
            out = render_fn(composite(setup, params, pose, cam), cam, with_groups=True,
                            background=torch.zeros(3))
            frames.append(out.rgb.clamp(0, 1))
            human.append((out.groups[..., 1] > 0.5).float())
            obj.append((out.groups[..., 2] > 0.5).float())
    # the keypoints a detector would find on frame 1: the moved body's joints, projected
    names = ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_wrist", "right_wrist", "head")
    idx = setup.avatar.body_model.core_joint_index()
    with torch.no_grad():
        joints = setup.avatar.body_model(type(b0).cat([b0, moved])).joints[:, [idx[n] for n in names]]
    uv = cam.project(joints)[0].numpy()
    track = KeypointTrack(names, np.ones((2, len(names))), uv=uv)
    init = PoseInit(body=None, valid=np.ones(2, bool), carry_previous=True, keypoints=track)
    make = lambda crop, fit=cfg.fit: HSIFitting(setup, torch.stack(frames), torch.stack(human),  # noqa: E731
                                                torch.stack(obj), [cam, cam], init, fit, render_fn, torch.zeros(3),
                                                crop=crop)
    keypoints_on = dataclasses.replace(cfg.fit, w_keypoints=0.05, keypoint_tolerance=0.0)
    return make(True), make(False), make(True, keypoints_on), moved


def _gradients(problem: HSIFitting, it: int) -> dict[str, torch.Tensor]:
    problem.start_frame(0)
    problem.start_frame(1)
    loss, _ = problem.closure(1, it)
    params = {"transl": problem.p_transl, "orient": problem.p_orient, "pose": problem.p_pose,
              "obj_rot": problem.p_obj_rot, "obj_trans": problem.p_obj_trans}
    grads = torch.autograd.grad(loss, list(params.values()))
    return dict(zip(params, grads, strict=True))


def test_crop_gives_the_full_frame_gradients(problem_pair):
    cropped, full = problem_pair[:2]
    g_crop, g_full = _gradients(cropped, 0), _gradients(full, 0)
    crop = cropped.crop
    assert crop.area < 0.8 * full.crop.area  # the crop is a real crop
    for name in g_full:
        assert float(g_full[name].abs().max()) > 0, name
        torch.testing.assert_close(g_crop[name], g_full[name], rtol=2e-3, atol=1e-6 * float(g_full[name].abs().max()),
                                   msg=name)


def test_objective_terms_are_tagged_and_the_paper_preset_keeps_the_papers():
    names = [t.name for t in HSI_TERMS]
    assert names[:3] == ["photometric", "centroid", "depth"]
    assert {t.name for t in HSI_TERMS if t.source == "paper"} == {"photometric", "centroid", "depth"}
    assert {t.name for t in HSI_TERMS if t.source == "addition"} == {"centroid_human", "silhouette", "keypoints",
                                                                      "temporal"}
    paper = load_config("paper").fit
    for term in HSI_TERMS:
        assert term.source in ("paper", "addition")
        if term.source == "addition":
            assert getattr(paper, term.weight) == 0.0, term.name
    assert (paper.w_center, paper.w_depth) == (1e-3, 1e-3)


def test_keypoint_term_pulls_the_body_onto_the_detected_joints(problem_pair):
    cropped, _, with_keypoints, _ = problem_pair
    cropped.start_frame(0)
    cropped.start_frame(1)
    assert "keypoints" not in cropped.terms(1)  # weight 0: the addition is off
    with_keypoints.start_frame(0)
    opts = with_keypoints.start_frame(1)
    start = float(with_keypoints.terms(1)["keypoints"])
    assert start > 0.02
    for _ in range(40):  # the keypoint term alone moves the root onto the detected joints
        for opt in opts:
            opt.zero_grad()
        with_keypoints.terms(1)["keypoints"].backward()
        with_keypoints._opts["root"].step()
    assert float(with_keypoints.terms(1)["keypoints"]) < 0.3 * start
