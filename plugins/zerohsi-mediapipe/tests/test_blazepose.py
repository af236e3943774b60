"""BlazePose through the KeypointDetector interface: the landmark mapping, detection on a rendered anny avatar
(front and side view) and the registered ``mediapipe`` pose initializer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from zerohsi_mediapipe.config import MediaPipeConfig
from zerohsi_mediapipe.detector import BLAZEPOSE_TO_COCO17, BlazePoseDetector

from zerohsi.poseinit.keypoints import COCO17, KeypointDetector, KeypointsInitializer
from zerohsi.video.video import Video

mp_pose = pytest.importorskip("mediapipe.python.solutions.pose")


def test_landmark_indices_are_mediapipes_own():
    assert len(BLAZEPOSE_TO_COCO17) == len(COCO17)
    for name, index in zip(COCO17, BLAZEPOSE_TO_COCO17, strict=True):
        assert mp_pose.PoseLandmark[name.upper()].value == index, name


@pytest.fixture(scope="module")
def rendered(anny_body, avatar):
    """Two 192x256 frames of the avatar standing 3 m from the camera: facing it, and turned to show its side."""
    from zerohsi.body.poses import pose_preset, yaw_orient
    from zerohsi.cameras import Camera
    from zerohsi.render import render

    cam = Camera.look_at((0.0, -3.0, 1.0), (0.0, 0.0, 0.9), width=192, height=256, fov_deg=45.0)
    base = pose_preset(anny_body, "standing", on_floor=True)
    frames, joints = [], []
    for yaw in (0.0, 90.0):
        params = base.replace(global_orient=yaw_orient(yaw))
        with torch.no_grad():
            out = render(avatar.gaussians(params, cam), cam, backend="torch", background=torch.full((3,), 0.6))
            joints.append(anny_body(params).joints[0])
        frames.append((out.rgb.clamp(0, 1) * 255).byte().numpy())
    return Video(np.stack(frames), 10.0), cam, torch.stack(joints)


def test_detects_the_avatar_with_its_left_and_right(anny_body, rendered):
    video, cam, joints = rendered
    detector = BlazePoseDetector(MediaPipeConfig())
    assert isinstance(detector, KeypointDetector)
    track = detector.detect(video)
    assert track.valid_frames(0.5).all()
    idx = anny_body.core_joint_index()
    truth = cam.project(joints[:, [idx[n] for n in track.names]])[0].numpy()
    err = np.hypot(*(truth - track.uv).transpose(2, 0, 1))
    front = track.conf[0] > 0.5
    assert np.median(err[0][front]) < 6.0  # pixels, on a person ~200 px tall
    # left is left: each detected wrist/ankle is nearer its own side's true joint than the other side's
    for part in ("wrist", "ankle"):
        left, right = track.names.index(f"left_{part}"), track.names.index(f"right_{part}")
        assert err[0, left] < np.hypot(*(truth[0, right] - track.uv[0, left]))
    # the world landmarks ride along, hip-centred, in metres
    assert track.relative_xyz is not None and np.isfinite(track.relative_xyz).all()
    assert 0.3 < np.ptp(track.relative_xyz[0, :, 1]) < 2.0


def test_registered_initializer_fits_the_detected_pose(mediapipe_host, rendered, anny_body, avatar):
    from types import SimpleNamespace

    from zerohsi.body.poses import pose_preset
    from zerohsi.errors import UserError

    video, cam, joints = rendered
    init = mediapipe_host.build("pose_initializer", "mediapipe", {"iters": 60, "polish_iters": 0, "start": "fit"})
    assert isinstance(init, KeypointsInitializer) and isinstance(init.detector, BlazePoseDetector)
    # the fit starts from the rest pose facing the camera; frame 1 shows the body turned by 90 degrees
    setup = SimpleNamespace(avatar=avatar, body0=anny_body.rest_params(1).replace(
        transl=pose_preset(anny_body, "standing", on_floor=True).transl))
    out = init.initialize(video, None, [cam, cam], setup)
    assert out.valid.all() and out.keypoints is not None and not out.carry_previous
    with torch.no_grad():
        fitted = anny_body(out.body).joints
    idx = anny_body.core_joint_index()
    core = [idx[n] for n in ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_wrist", "right_wrist",
                             "left_elbow", "right_elbow", "head")]
    rel = lambda j: j[:, core] - j[:, [idx["pelvis"]]]  # noqa: E731
    err = (rel(fitted) - rel(joints)).norm(dim=-1).mean(-1)
    # metres, pelvis-relative, from one view of a 600-Gaussian avatar: reached 0.066 facing the camera and 0.129 for
    # the side view (which the fit reaches by turning the whole body 90 degrees from where it starts)
    assert float(err[0]) < 0.09 and float(err[1]) < 0.16, err
    with pytest.raises(UserError, match="start"):
        mediapipe_host.build("pose_initializer", "mediapipe", {"start": "nowhere"})
