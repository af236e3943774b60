import json
import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from zerohsi.body.params import CORE_JOINTS
from zerohsi.errors import UserError
from zerohsi.poseinit.config import KeypointsConfig
from zerohsi.poseinit.keypoints import (
    COCO17,
    KeypointDetector,
    KeypointFile,
    KeypointsInitializer,
    KeypointTrack,
    map_layout,
    resolve_layout,
)
from zerohsi.video.video import Video

T, W, H = 4, 128, 96


@pytest.fixture(scope="module")
def clip(anny_body):
    """A short motion of anny ~3 m in front of a sideways-moving camera whose intrinsics are for twice the video's
    resolution; the first frame is the initial state."""
    from zerohsi.body.fitting import model_joints
    from zerohsi.body.params import core_joints
    from zerohsi.body.poses import articulate, pose_preset
    from zerohsi.cameras import Camera

    body0 = pose_preset(anny_body, "standing").replace(transl=torch.tensor([[0.0, 0.0, 0.95]]))
    s = torch.arange(T, dtype=torch.float32) * 0.5
    truth = articulate(anny_body, pose_preset(anny_body, "standing", T), {
        "right_shoulder": {"abduct": 7 + 15 * s}, "left_elbow": {"flex": 12 + 20 * s}, "left_hip": {"flex": 8 * s},
        "right_knee": {"flex": 10 * s}})
    truth = truth.replace(transl=body0.transl + torch.stack([0.16 * s, 0.03 * s, 0 * s], -1),
                          global_orient=torch.stack([0 * s, 0 * s, 0.05 * s], -1))
    cams = [Camera.look_at((0.15 * t - 0.2, -3.2, 1.1), (0.0, 0.0, 0.9), width=2 * W, height=2 * H, fov_deg=60)
            for t in range(T)]
    with torch.no_grad():
        joints = core_joints(anny_body, model_joints(anny_body, truth))  # (T,21,3) world
    uv = torch.stack([c.resized(W, H).project(joints[t])[0] for t, c in enumerate(cams)])
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=anny_body), body0=body0, camera0=cams[0])
    video = Video(np.zeros((T, H, W, 3), np.uint8), 10.0)
    return SimpleNamespace(setup=setup, cams=cams, joints=joints, uv=uv, video=video)


def _fitted(anny_body, init):
    from zerohsi.body.fitting import model_joints
    from zerohsi.body.params import core_joints

    with torch.no_grad():
        return core_joints(anny_body, model_joints(anny_body, init.body))


def _reprojection_px(clip, joints):
    uv = torch.stack([c.resized(W, H).project(joints[t])[0] for t, c in enumerate(clip.cams)])
    return (uv - clip.uv).norm(dim=-1)  # (T,21)


def test_2d_keypoints_fit(anny_body, clip, tmp_path):
    conf = np.ones((T, len(CORE_JOINTS)))
    conf[2] = 0.0  # nobody detected on frame 2
    path = tmp_path / "kp.npz"
    np.savez(path, keypoints=np.concatenate([clip.uv.numpy(), conf[..., None]], -1), layout="core")
    cfg = KeypointsConfig(file=str(path), iters=100, polish_iters=10)
    init = KeypointsInitializer(cfg).initialize(clip.video, None, clip.cams, clip.setup)
    assert not init.world and len(init.body) == T
    assert init.valid.tolist() == [True, True, False, True]
    assert any("frames 2 (1/4" in n for n in init.notes)
    torch.testing.assert_close(init.body.shape, clip.setup.body0.shape.expand(T, -1))
    got = _fitted(anny_body, init)
    valid = torch.as_tensor(init.valid)
    px = _reprojection_px(clip, got)
    start = _fitted(anny_body, SimpleNamespace(body=clip.setup.body0))[0].expand(T, -1, -1)
    start_err = (start - clip.joints).norm(dim=-1)
    assert _reprojection_px(clip, start)[3].mean() > 5  # the initial state is well off the last frame's keypoints
    assert px[valid].mean() < 0.5 and px[valid].max() < 2.0  # observed 0.07 / 0.4 px
    err = (got - clip.joints).norm(dim=-1)
    # depth is what one view leaves open: within a few cm of the truth (observed means 1.9-3.9 cm, max 12 cm,
    # against 23 cm mean for the initial state on the last frame)
    assert err[valid].mean(1).max() < 0.06 and err[valid].max() < 0.2
    assert err[3].mean() < 0.3 * start_err[3].mean()
    assert err[2].mean() < 0.06  # the gap frame follows its neighbours (observed 2.8 cm)


def _coco17_from_core(points: np.ndarray, ear_offset: np.ndarray) -> np.ndarray:
    """(T,21,D) CORE_JOINTS points -> (T,17,D) in COCO-17 order; ears either side of the head, face points made up."""
    core = {n: points[:, i] for i, n in enumerate(CORE_JOINTS)}
    head = core["head"]
    made = {"nose": head + 2 * ear_offset[::-1], "left_eye": head + ear_offset[::-1], "right_eye": head - ear_offset,
            "left_ear": head + ear_offset, "right_ear": head - ear_offset}
    return np.stack([made[n] if n in made else core[n] for n in COCO17], 1)


def test_coco17_layout():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(3, 17, 2))
    conf = rng.uniform(0.5, 1.0, size=(3, 17))
    track = map_layout(pts, conf, "coco17")
    assert not track.is_3d and set(track.names) < set(CORE_JOINTS) and len(track.names) == 13
    for name in ("left_shoulder", "right_wrist", "left_knee", "right_ankle"):
        np.testing.assert_array_equal(track.uv[:, track.names.index(name)], pts[:, COCO17.index(name)])
    h = track.names.index("head")
    ears = [COCO17.index("left_ear"), COCO17.index("right_ear")]
    np.testing.assert_allclose(track.uv[:, h], pts[:, ears].mean(1))
    np.testing.assert_allclose(track.conf[:, h], conf[:, ears].min(1))
    w = dict(zip(track.names, track.fit_weights(), strict=True))
    assert w["left_hip"] < 1 and w["right_hip"] < 1 and w["left_knee"] == 1
    sub = track.subset(["head", "left_hip", "pelvis"])  # what a body without some joints keeps
    assert sub.names == ("left_hip", "head") and sub.fit_weights()[0] == w["left_hip"]
    np.testing.assert_array_equal(sub.uv[:, 1], track.uv[:, h])
    assert resolve_layout("auto", None, 17, "f") == "coco17" and resolve_layout("auto", None, 21, "f") == "core"
    assert resolve_layout("auto", "coco17", 17, "f") == "coco17"
    for args in (("auto", None, 5), ("core", None, 17), ("core", "coco17", 17), ("auto", "openpose", 17)):
        with pytest.raises(UserError):
            resolve_layout(*args, "f")


@pytest.mark.parametrize("layout", ["core", "coco17"])
def test_3d_keypoints_through_cameras(anny_body, clip, tmp_path, layout):
    pc = torch.stack([c.world_to_cam[:3, :3] @ clip.joints[t].T + c.world_to_cam[:3, 3:] for t, c in
                      enumerate(clip.cams)]).transpose(1, 2).numpy()  # (T,21,3) OpenCV camera frame
    if layout == "coco17":
        pc = _coco17_from_core(pc, np.array([0.07, 0.0, 0.0]))
    conf = np.ones(pc.shape[:2])
    conf[1] = 0.0
    path = tmp_path / "kp3d.npz"
    np.savez(path, keypoints=np.concatenate([pc, conf[..., None]], -1).astype(np.float32))
    init = KeypointsInitializer(KeypointsConfig(file=str(path), iters=60)).initialize(
        clip.video, None, clip.cams, clip.setup)
    assert init.valid.tolist() == [True, False, True, True] and any("frames 1 (1/4" in n for n in init.notes)
    got = _fitted(anny_body, init)
    names = CORE_JOINTS if layout == "core" else KeypointFile(path).detect(clip.video).names
    cols = [CORE_JOINTS.index(n) for n in names]
    err = (got[:, cols] - clip.joints[:, cols]).norm(dim=-1)[torch.as_tensor(init.valid)]
    # the same skeleton and shape: only the fit's residual remains (observed max 1.4 cm core, 1.0 cm coco17)
    assert err.mean() < 0.015 and err.max() < 0.03


class _Payload:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_pickled_file_is_not_executed(clip, tmp_path):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.npz"
    np.savez(path, keypoints=np.array([_Payload(str(marker))], dtype=object))
    np.load(path, allow_pickle=True)["keypoints"]  # the payload is live: an unrestricted load runs it
    assert marker.exists()
    marker.rmdir()
    with pytest.raises(UserError, match="Cannot read keypoints") as info:
        KeypointFile(path).detect(clip.video)
    assert not marker.exists() and "\n" not in str(info.value)


def _npz(arr, **extra):
    return lambda p: np.savez(p, keypoints=arr, **extra)


_GOOD = np.concatenate([np.full((T, 17, 2), 40.0), np.ones((T, 17, 1))], -1)
_NAN = _GOOD.copy()
_NAN[1, 3, 0] = np.nan


@pytest.mark.parametrize(("name", "write", "match"), [
    ("missing.npz", None, "does not exist"),
    ("kp.txt", lambda p: p.write_text("1 2 3"), "neither .npz nor .json"),
    ("corrupt.npz", lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "Cannot read keypoints"),
    ("noarray.npz", lambda p: np.savez(p, points=_GOOD), "no 'keypoints' array"),
    ("shape.npz", _npz(_GOOD[..., :2]), r"\(T,K,3\)"),
    ("nan.npz", _npz(_NAN), "NaN"),
    ("frames.npz", _npz(_GOOD[:3]), "3 frames but the video has 4"),
    ("layout.npz", _npz(_GOOD, layout="core"), "17 keypoints per frame but layout 'core'"),
    ("noconf.npz", _npz(np.concatenate([_GOOD[..., :2], np.full((T, 17, 1), 3.0)], -1)), "confidence in"),
    ("norm.npz", _npz(_GOOD * [0.01, 0.01, 1.0]), "normalised"),
    ("bad.json", lambda p: p.write_text("{not json"), "Cannot read keypoints"),
    ("empty.npz", _npz(np.zeros((T, 0, 3))), "holds no keypoints"),
    ("empty.json", lambda p: p.write_text(json.dumps([[], [], [], []])), "no keypoints on any frame"),
    ("ragged.json", lambda p: p.write_text(json.dumps([[[1, 2, 1]], [[1, 2, 1], [3, 4, 1]], [], []])), "same number"),
])
def test_bad_keypoint_files(clip, tmp_path, name, write, match):
    path = tmp_path / name
    if write is not None:
        write(path)
    with pytest.raises(UserError, match=match) as info:
        KeypointFile(path).detect(clip.video)
    assert "\n" not in str(info.value)


def test_json_file_and_detector_plugins(clip, tmp_path):
    frames = [[[40.0 + k, 30.0, 0.9] for k in range(17)] for _ in range(T)]
    frames[2] = []  # nobody on frame 2
    path = tmp_path / "kp.json"
    path.write_text(json.dumps({"layout": "coco17", "keypoints": frames}))
    track = KeypointFile(path).detect(clip.video)
    assert track.valid_frames(0.3).tolist() == [True, True, False, True] and "head" in track.names

    class Detector:
        def __init__(self, track: KeypointTrack) -> None:
            self.track = track

        def detect(self, video: Video) -> KeypointTrack:
            return self.track

    assert isinstance(Detector(track), KeypointDetector)
    cfg = KeypointsConfig()  # no file: the detector supplies the keypoints
    short = KeypointTrack(track.names, track.conf[:3], uv=track.uv[:3])
    with pytest.raises(UserError, match="returned 3 frames"):
        KeypointsInitializer(cfg, detector=Detector(short)).initialize(clip.video, None, clip.cams, clip.setup)
    blind = KeypointTrack(track.names, track.conf * 0.1, uv=track.uv)
    with pytest.raises(UserError, match="min_conf"):
        KeypointsInitializer(cfg, detector=Detector(blind)).initialize(clip.video, None, clip.cams, clip.setup)


def test_registered(tmp_path):
    from zerohsi.plugins import get_host

    host = get_host()
    assert "keypoint_fit" in host.registry("pose_initializer").entries
    init = host.build("pose_initializer", "keypoint_fit", {"file": str(tmp_path / "kp.npz"), "min_conf": 0.5})
    assert isinstance(init, KeypointsInitializer) and init.cfg.min_conf == 0.5
    assert isinstance(init.detector, KeypointFile)
    with pytest.raises(UserError, match="options.file"):
        host.build("pose_initializer", "keypoint_fit", {})
    with pytest.raises(UserError, match="layout"):
        host.build("pose_initializer", "keypoint_fit", {"file": "x.npz", "layout": "openpose"})
