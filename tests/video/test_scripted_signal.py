"""The scripted test signal: the program player's motions and the rendered signal with its ground truth."""

import math

import numpy as np
import pytest
import torch

from zerohsi.errors import UserError
from zerohsi.plugins import get_host
from zerohsi.video.base import VideoRequest
from zerohsi.video.cache import cached_generate
from zerohsi.video.configs import AppearanceGapConfig


@pytest.fixture(scope="session")
def world():
    from zerohsi.scenes import build_object, build_scene

    return build_scene("bar", density=0.03, procedural=True), build_object("guitar", density=0.1)


def _instance(program, dynamic=False, size=(48, 36)):
    from zerohsi.scenes.suite import CameraSpec, HumanInit, Instance, ObjectInit

    return Instance("test_instance", "bar", "a person acts", "dynamic" if dynamic else "static",
                    HumanInit((-0.8, -1.6), 110.0), CameraSpec((-0.2, -3.4, 1.9), (-1.4, 0.0, 0.6), 62.0, *size),
                    program, [0], "guitar" if dynamic else None,
                    ObjectInit((-2.0, 0.3, 0.0), 20.0) if dynamic else None)


def _body0(body, xy=(-0.8, -1.6), heading=110.0):
    from zerohsi.body.poses import place_on_floor, pose_preset, yaw_orient

    p = pose_preset(body, "standing")
    p = p.replace(global_orient=yaw_orient(heading + 90.0), transl=torch.tensor([[xy[0], xy[1], 0.0]]))
    return place_on_floor(body, p)


def _play(anny_body, world, program, *, dynamic=False, T=40, fps=10.0):
    from zerohsi.video.scripted.program import ProgramPlayer

    scene, obj = world
    inst = _instance(program, dynamic)
    player = ProgramPlayer(anny_body, scene, obj if dynamic else None)
    motion = player.play(program, _body0(anny_body), fps, T, object_pose0=inst.object_pose() if dynamic else None,
                         camera_fn=lambda k: inst.camera())
    with torch.no_grad():
        out = anny_body(motion.body)
    return motion, out


def test_walk_and_sit_on_stool(anny_body, world):
    from zerohsi.scenes.suite import Step

    scene, _ = world
    program = [Step("walk_to", 2.0, {"target": "stool"}), Step("sit", 1.6, {"target": "stool"}),
               Step("stand_up", 1.2, {})]
    motion, out = _play(anny_body, world, program, T=48)
    verts = out.vertices
    low = verts[..., 2].min(1).values
    walking = slice(0, 20)
    assert low[walking].abs().max() < 0.01  # feet on the floor while walking
    stool = scene.target("stool")
    assert torch.allclose(motion.body.transl[19, :2], torch.tensor(stool.approach), atol=0.02)
    seated = 36  # the first frame of stand_up shows the finished sitting pose
    depth = -scene.sdf(verts[seated]).clamp(max=0)
    assert depth.max() < 0.015  # seated on the seat, legs out of the bar counter
    assert float(low[seated]) > 0.2 and float(motion.body.transl[seated, 2]) > stool.point[2]  # feet off the floor
    # stood up again in front of the stool, feet back on the floor
    assert abs(float(low[-1])) < 0.01
    assert torch.allclose(motion.body.transl[-1, :2], torch.tensor(stool.approach), atol=0.02)
    # smooth: no core joint moves faster than swinging feet (about 4x the root at 10 fps), the body at rest
    # across the boundary between the two steps (eased in and out, no jump)
    from zerohsi.body.params import core_joints

    core = core_joints(anny_body, out.joints)
    step = (core[1:] - core[:-1]).norm(dim=-1).max(dim=1).values
    assert step.max() < 4 * (motion.body.transl[1:] - motion.body.transl[:-1]).norm(dim=1).max()
    assert step[19:21].max() < 0.05
    acc = (motion.body.transl[2:] - 2 * motion.body.transl[1:-1] + motion.body.transl[:-2]).norm(dim=1).max()
    assert acc < 0.08
    assert motion.K.shape == (48, 3, 3) and motion.image_size == (48, 36)


def test_pick_up_attaches_object_to_hands_and_lifts(anny_body, world):
    from zerohsi.scenes.suite import Step

    program = [Step("walk_to", 1.5, {"target": (-2.0, -0.25)}),
               Step("pick_up", 1.5, {"hand": "both", "region": ["neck", "body"]}),
               Step("lift", 1.0, {"height_m": 0.8})]
    motion, out = _play(anny_body, world, program, dynamic=True, T=42)
    J = anny_body.core_joint_index()
    hands = (out.joints[:, J["left_hand"]] + out.joints[:, J["right_hand"]]) / 2
    objects = motion.object_poses
    grasp = next(k for k, what in motion.provenance["events"] if what == "grasp")
    assert 15 <= grasp <= 30
    assert torch.allclose(objects[:grasp], objects[0].expand(grasp, 4, 4))  # untouched before the grasp
    # rigidly attached: the object origin seen from the hands (in the body's heading frame) never changes
    R = torch.stack([torch.from_numpy(np.eye(3, dtype=np.float32))] * len(objects))
    from zerohsi.geometry import axis_angle_to_matrix

    R = axis_angle_to_matrix(motion.body.global_orient)
    local = (R.transpose(1, 2) @ (objects[:, :3, 3] - hands)[..., None])[..., 0]
    assert (local[grasp:] - local[grasp]).norm(dim=1).max() < 1e-3
    region = (world[1].region("neck").world(objects[0])[0].mean(0) + world[1].region("body").world(objects[0])[0]
              .mean(0)) / 2
    assert (hands[grasp] - region).norm() < 0.15  # the hands are at the handles when they grasp
    assert abs(float(objects[-1, 2, 3]) - 0.8) < 0.05  # lifted to the asked height
    assert out.vertices[..., 2].min() > -0.01  # never through the floor


def test_push_moves_object_with_hands_behind_it(anny_body, world):
    from zerohsi.scenes.suite import Step

    program = [Step("push", 3.0, {"to": (-2.0, 1.0)})]
    motion, out = _play(anny_body, world, program, dynamic=True, T=32)
    objects = motion.object_poses
    assert torch.allclose(objects[-1, :2, 3], torch.tensor([-2.0, 1.0]), atol=1e-3)
    assert torch.allclose(objects[-1, 2, 3], objects[0, 2, 3])  # slides on the floor
    gap = objects[:, :2, 3] - motion.body.transl[:, :2]
    assert (gap[10:] - gap[-1]).norm(dim=1).max() < 0.02  # the body walks with the object


def test_image_gap_and_shake_are_seeded():
    from zerohsi.cameras import Camera
    from zerohsi.video.scripted.appearance import ImageGap, shaken_cameras

    cfg = AppearanceGapConfig(noise=0.02, blur_px=0.8, shake_deg=0.5, shake_m=0.01)
    img = torch.rand(12, 16, 3, generator=torch.Generator().manual_seed(0))
    a, b, c = ImageGap(cfg, 1).apply(img, 3), ImageGap(cfg, 1).apply(img, 3), ImageGap(cfg, 2).apply(img, 3)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and (a - img).abs().mean() > 0.005
    cam = Camera.look_at((0, -3, 1), (0, 0, 1), width=16, height=12)
    cams = shaken_cameras(cam, 20, cfg, seed=4)
    assert torch.equal(cams[0].world_to_cam, cam.world_to_cam)  # the clip starts from I0's camera
    moved = torch.stack([(c.center - cam.center).norm() for c in cams])
    assert 0.001 < float(moved.max()) < 0.06
    assert shaken_cameras(cam, 5, AppearanceGapConfig(), 0)[3] is cam  # no shake by default


@pytest.fixture(scope="session")
def dynamic_setup(anny_body, avatar, world):
    from zerohsi.clip_setup import Setup
    from zerohsi.scenes.suite import Step

    scene, obj = world
    program = [Step("walk_to", 0.8, {"target": (-1.6, -0.6)}), Step("idle", 0.4, {})]
    inst = _instance(program, dynamic=True, size=(40, 30))
    return Setup(scene=scene, avatar=avatar, body0=_body0(anny_body), camera0=inst.camera(), prompt=inst.prompt,
                 seed=0, obj=obj, object_pose0=inst.object_pose(), instance=inst)


def test_signal_end_to_end_with_ground_truth_and_cache(dynamic_setup, tmp_path, monkeypatch):
    from zerohsi.composition import render_first_frame
    from zerohsi.io import load_npz
    from zerohsi.motion import Motion
    from zerohsi.render import render

    monkeypatch.setenv("ZEROHSI_CACHE_DIR", str(tmp_path / "cache"))
    first, first_masks = render_first_frame(dynamic_setup, lambda g, c, **k: render(g, c, backend="torch", **k),
                                            torch.zeros(3))
    gen = get_host().build("video_generator", "scripted", {"render_backend": "torch"})
    req = VideoRequest(first_frame=first, prompt="p", seed=3, num_frames=4, fps=2.5, workdir=tmp_path / "run1",
                       setup=dynamic_setup)
    video, entry = cached_generate(gen, req)
    assert video.frames.shape == (4, 30, 40, 3) and video.provenance["test_signal"] is True
    gt = Motion.load(tmp_path / "run1" / "ground_truth_motion.npz")
    masks = load_npz(tmp_path / "run1" / "ground_truth_masks.npz")
    assert len(gt) == 4 and gt.object_poses.shape == (4, 4, 4) and gt.K.shape == (4, 3, 3)
    assert gt.provenance["test_signal"] is True and gt.body_model == "anny"
    assert masks["human"].shape == (4, 30, 40) and masks["human"].dtype == bool and masks["object"].dtype == bool
    assert masks["human"][0].sum() > 0
    # frame 0 shows I0's content through the appearance gap: close, not identical
    assert np.array_equal(masks["human"][0], first_masks.human[0]) or \
        (masks["human"][0] ^ first_masks.human[0]).mean() < 0.02
    diff = np.abs(video.frames[0] / 255.0 - first).mean()
    assert 0.002 < diff < 0.1
    # the human moved: its mask centroid shifts between the first and last frame
    ys, xs = np.nonzero(masks["human"][0])
    ye, xe = np.nonzero(masks["human"][-1])
    assert math.hypot(xs.mean() - xe.mean(), ys.mean() - ye.mean()) > 1.0
    # second run (another run folder): a cache hit that restores the ground truth
    req2 = VideoRequest(first_frame=first, prompt="p", seed=3, num_frames=4, fps=2.5, workdir=tmp_path / "run2",
                        setup=dynamic_setup)
    gen2 = get_host().build("video_generator", "scripted", {"render_backend": "torch"})
    gen2.generate = None  # a hit must not render again
    video2, entry2 = cached_generate(gen2, req2)
    assert entry2 == entry and np.array_equal(video.frames, video2.frames)
    assert (tmp_path / "run2" / "ground_truth_masks.npz").exists() and (entry / "ground_truth_motion.npz").exists()


def test_signal_from_motion_file_and_errors(dynamic_setup, tmp_path):
    from zerohsi.motion import Motion

    T = 6
    body = dynamic_setup.body0
    m = Motion(body[[0] * T].replace(transl=body.transl.repeat(T, 1) + torch.linspace(0, 0.5, T)[:, None]
                                     * torch.tensor([1.0, 0.0, 0.0])), "anny", 5.0)
    m.save(tmp_path / "walk.npz")
    gen = get_host().build("video_generator", "scripted", {"motion": str(tmp_path / "walk.npz"),
                                                           "render_backend": "torch"})
    req = VideoRequest(first_frame=np.zeros((30, 40, 3), np.float32), prompt="p", seed=0, num_frames=3, fps=2.5,
                       workdir=tmp_path / "w", setup=dynamic_setup)
    gt = gen.ground_truth(req)
    assert len(gt) == 3 and torch.allclose(gt.body.transl[:, 0] - body.transl[0, 0], torch.tensor([0.0, 0.2, 0.4]))
    assert gt.object_poses.shape == (3, 4, 4)
    with pytest.raises(UserError, match="does not exist"):
        get_host().build("video_generator", "scripted", {"motion": str(tmp_path / "missing.npz")})
    with pytest.raises(UserError, match="setup"):
        gen.generate(VideoRequest(first_frame=req.first_frame, prompt="p", seed=0, num_frames=3, fps=2.5,
                                  workdir=tmp_path / "w"))


def test_carry_put_down_and_lie_in_bedroom(anny_body):
    from zerohsi.geometry import make_transform
    from zerohsi.scenes import build_object, build_scene
    from zerohsi.scenes.suite import Step
    from zerohsi.video.scripted.program import ProgramPlayer

    scene, vase = build_scene("bedroom", density=0.03, procedural=True), build_object("vase", density=0.1)
    region = sorted(vase.contact_regions)[0]
    program = [Step("walk_to", 1.2, {"target": (-1.2, -1.0)}),
               Step("pick_up", 1.4, {"hand": "both", "region": [region]}),
               Step("carry_to", 1.6, {"target": "dresser"}), Step("put_down", 1.2, {"target": "dresser"}),
               Step("walk_to", 2.0, {"target": "bed"}), Step("lie", 2.2, {"target": "bed"}),
               Step("idle", 0.4, {})]
    pose0 = make_transform(torch.eye(3), torch.tensor([-1.3, -1.5, 0.0]))
    motion = ProgramPlayer(anny_body, scene, vase).play(program, _body0(anny_body, (-0.8, -1.6), 180.0), 5.0, 50,
                                                        object_pose0=pose0)
    events = [what for _, what in motion.provenance["events"]]
    assert events[0] == "grasp" and events[1].startswith("release")
    dresser = scene.target("dresser")
    final = motion.object_poses[-1]
    assert abs(float(final[2, 3]) - dresser.point[2]) < 1e-4  # resting on the dresser top, upright
    assert torch.allclose(final[:3, 2], torch.tensor([0.0, 0.0, 1.0]), atol=1e-5)
    assert (final[:2, 3] - torch.tensor(dresser.point[:2])).abs().max() < 0.35
    with torch.no_grad():
        verts = anny_body(motion.body[-1]).vertices[0]
    bed = scene.target("bed")
    assert abs(float(verts[:, 2].min()) - bed.point[2]) < 0.02  # lying on the mattress, not in it
    assert (-scene.sdf(verts).clamp(max=0)).max() < 0.05
    assert torch.isfinite(motion.body.body_pose).all()


def _far_turned_walk(body0, T=6):
    """The initial state turned by 1 rad, moved 5 m away and walking 0.1 m per frame along its own +X."""
    from zerohsi.geometry import axis_angle_to_matrix, matrix_to_axis_angle

    turn = axis_angle_to_matrix(torch.tensor([0.0, 0.0, 1.0]))
    step = torch.arange(T, dtype=torch.float32)[:, None] * torch.tensor([0.1, 0.0, 0.0])
    return body0[[0] * T].replace(
        transl=body0.transl + torch.tensor([5.0, -4.0, 0.0]) + step,
        global_orient=matrix_to_axis_angle(turn @ axis_angle_to_matrix(body0.global_orient)).expand(T, 3).clone())


def test_imported_motion_is_anchored_at_the_start(dynamic_setup, tmp_path):
    from zerohsi.motion import Motion
    from zerohsi.video.scripted.source import heading_deg

    body0 = dynamic_setup.body0
    walk = _far_turned_walk(body0)
    Motion(walk, "anny", 5.0).save(tmp_path / "far.npz")
    req = VideoRequest(first_frame=np.zeros((30, 40, 3), np.float32), prompt="p", seed=0, num_frames=6, fps=5.0,
                       workdir=tmp_path / "w", setup=dynamic_setup)
    gt = get_host().build("video_generator", "scripted", {"motion": str(tmp_path / "far.npz")}).ground_truth(req)
    # frame 0 stands on the initial state, facing its heading; the motion keeps its own shape (steps of 0.1 m)
    torch.testing.assert_close(gt.body.transl[0], body0.transl[0], atol=1e-4, rtol=0)
    turn = heading_deg(gt.body.global_orient[:1]) - heading_deg(body0.global_orient)
    assert float(turn) == pytest.approx(0, abs=1e-3)
    steps = (gt.body.transl[1:] - gt.body.transl[:-1]).norm(dim=-1)
    torch.testing.assert_close(steps, torch.full((5,), 0.1), atol=1e-4, rtol=0)
    own = get_host().build("video_generator", "scripted", {"motion": str(tmp_path / "far.npz"), "placement": "own"})
    torch.testing.assert_close(own.ground_truth(req).body.transl, walk.transl)
    # the clip's initial state (I0 and the fit's frame 0) is the played motion's first frame, placed as the clip is
    anchored = get_host().build("video_generator", "scripted", {"motion": str(tmp_path / "far.npz")})
    start = anchored.initial_body(dynamic_setup)
    torch.testing.assert_close(start.transl, gt.body.transl[:1].to(start.transl), atol=1e-5, rtol=0)
    torch.testing.assert_close(start.body_pose, gt.body.body_pose[:1].to(start.body_pose), atol=1e-5, rtol=0)
    torch.testing.assert_close(own.initial_body(dynamic_setup).transl, walk.transl[:1].to(start.transl))
    program = get_host().build("video_generator", "scripted", {})
    assert program.initial_body(dynamic_setup) is None
    with pytest.raises(UserError, match="placement"):
        get_host().build("video_generator", "scripted", {"motion": str(tmp_path / "far.npz"), "placement": "x"})


def test_a_person_out_of_view_is_reported_and_voids_accuracy(dynamic_setup, tmp_path, caplog):
    from zerohsi.io import load_npz
    from zerohsi.metrics.base import EvalContext, MetricSkipped
    from zerohsi.metrics.fidelity import CameraError, JointError, LimbSwap
    from zerohsi.motion import Motion
    from zerohsi.segment.masks import Masks

    Motion(_far_turned_walk(dynamic_setup.body0, 3), "anny", 5.0).save(tmp_path / "far.npz")
    gen = get_host().build("video_generator", "scripted", {"motion": str(tmp_path / "far.npz"), "placement": "own",
                                                           "render_backend": "torch"})
    req = VideoRequest(first_frame=np.zeros((30, 40, 3), np.float32), prompt="p", seed=0, num_frames=3, fps=5.0,
                       workdir=tmp_path / "w", setup=dynamic_setup)
    with caplog.at_level("WARNING"):
        gen.generate(req)
    assert "not visible on any" in caplog.text
    gt = Motion.load(tmp_path / "w" / "ground_truth_motion.npz")
    masks = load_npz(tmp_path / "w" / "ground_truth_masks.npz")
    assert not masks["human"].any()
    ctx = EvalContext(dynamic_setup.avatar.body_model, ground_truth=gt, gt_masks=Masks(masks["human"], None))
    for metric in (JointError(), LimbSwap()):
        with pytest.raises(MetricSkipped, match="not visible"):
            metric.compute(gt, ctx)
    # the camera is still measured: tracking does not need the person
    assert CameraError().compute(gt, ctx)["cam_transl_err_cm"] == pytest.approx(0.0, abs=1e-6)
