"""The ``scripted`` TEST SIGNAL: a known motion rendered as a video, with its ground truth saved beside it.

This is not video generation. It plays the instance's motion program (or a Motion file) with the avatar and the
object, renders it from the instance camera through an appearance gap (different avatar colours, lighting gain and
tint, sensor noise, blur, optional camera shake), and writes into the request's work folder:

- ``ground_truth_motion.npz``: the played :class:`Motion` (body parameters, object poses, the true per-frame cameras)
- ``ground_truth_masks.npz``: ``human`` and (dynamic instances) ``object`` bool (T,H,W) visible masks

so reconstruction accuracy can be measured against exact answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import torch

from zerohsi.errors import UserError
from zerohsi.io import atomic_savez
from zerohsi.motion import Motion
from zerohsi.video.base import VideoRequest
from zerohsi.video.configs import ScriptedConfig
from zerohsi.video.io import to_uint8
from zerohsi.video.video import Video

log = logging.getLogger(__name__)

GT_MOTION = "ground_truth_motion.npz"
GT_MASKS = "ground_truth_masks.npz"
#: bump when the rendering of the test signal changes (it is part of every cache key)
SIGNAL_VERSION = 1


class ScriptedTestSignal:
    """Renders a known motion with an appearance gap (a TEST SIGNAL for measuring reconstruction accuracy)."""

    name = "scripted"

    def __init__(self, cfg: ScriptedConfig):
        self.cfg = cfg
        self.motion_path = Path(cfg.motion).expanduser() if cfg.motion else None
        if self.motion_path is not None and not self.motion_path.is_file():
            raise UserError(f"Motion file '{self.motion_path}' does not exist; fix video.generator.options.motion.")
        if cfg.placement not in ("start", "own"):
            raise UserError(f"video.generator.options.placement is '{cfg.placement}'; use 'start' (anchor the motion "
                            "at the instance's initial state) or 'own' (play it where it was recorded).")

    def cache_key(self) -> dict:
        key = {"source": "scripted-test-signal", "version": SIGNAL_VERSION, "render_backend": self.cfg.render_backend,
               "appearance": dataclasses.asdict(self.cfg.appearance)}
        if self.motion_path is not None:
            key["motion_sha256"] = hashlib.sha256(self.motion_path.read_bytes()).hexdigest()
            key["placement"] = self.cfg.placement
        return key

    def request_key(self, request: VideoRequest) -> dict:
        """What the first frame does not show: the program played and the objects/scene involved."""
        setup = request.setup
        if setup is None:
            return {}
        inst = setup.instance
        return {"instance": None if inst is None else inst.name,
                "program": None if inst is None else [s.as_dict() for s in inst.program],
                "scene": getattr(setup.scene, "name", None), "object": getattr(setup.obj, "name", None),
                "body_model": setup.avatar.body_model.name, "num_gaussians": setup.avatar.num_gaussians}

    # -- the signal ---------------------------------------------------------------------------------------------
    def ground_truth(self, request: VideoRequest) -> Motion:
        """The motion to render: (T = request.num_frames at request.fps) with the true per-frame cameras."""
        from zerohsi.video.scripted.appearance import shaken_cameras
        from zerohsi.video.scripted.program import ProgramPlayer

        setup = _require_setup(request)
        seed = self._seed(request)
        T = int(request.num_frames)
        cams = shaken_cameras(setup.camera0.to("cpu"), T, self.cfg.appearance, seed)
        if self.motion_path is not None:
            motion = self._motion_from_file(setup, request)
            motion = motion.with_cameras(cams)
        else:
            inst = setup.instance
            if inst is None or not inst.program:
                raise UserError("The scripted test signal needs a suite instance with a motion program, or a Motion "
                                "file in video.generator.options.motion.")
            seat = None
            if getattr(inst.human_init, "pose", "standing") == "sitting" and inst.human_init.seat:
                seat = setup.scene.target(inst.human_init.seat)
            player = ProgramPlayer(setup.avatar.body_model, setup.scene, setup.obj, shape=setup.body0.shape[:1].cpu())
            motion = player.play(inst.program, setup.body0, request.fps, T, object_pose0=setup.object_pose0,
                                 seat=seat, camera_fn=lambda k: cams[k])
        motion.provenance.update(test_signal=True, generator="scripted", seed=seed,
                                 instance=None if setup.instance is None else setup.instance.name,
                                 motion_file=None if self.motion_path is None else str(self.motion_path))
        return motion

    def initial_body(self, setup):
        """The state the clip starts from when it plays a motion file: that motion's first frame (anchored to the
        instance's start unless placement=own), so that I0, the clip and the fit's known frame 0 agree; None for
        the instance's own program (which starts from the instance's initial state). The pipeline asks every
        generator for this before it renders I0; like any initial state it is an input of the run."""
        if self.motion_path is None:
            return None
        m = Motion.load(self.motion_path)
        if m.body_model != setup.avatar.body_model.name:
            return None  # refused with its own sentence when the clip is generated
        first = m.body[:1]
        if self.cfg.placement == "start":
            first = anchor_to_start(setup.avatar.body_model, first, setup.body0.detach())
        return first.to(setup.body0.transl).detach()

    def _motion_from_file(self, setup, request: VideoRequest) -> Motion:
        from zerohsi.video.resample import resample_indices

        m = Motion.load(self.motion_path)
        if m.body_model != setup.avatar.body_model.name:
            raise UserError(f"Motion file '{self.motion_path}' is for body model '{m.body_model}' but the avatar uses "
                            f"'{setup.avatar.body_model.name}'; convert it or change avatar.body.")
        idx = resample_indices(len(m), m.fps, request.fps, request.num_frames)
        if len(idx) < request.num_frames:  # hold the last pose rather than invent motion
            idx = np.concatenate([idx, np.full(request.num_frames - len(idx), idx[-1] if len(idx) else 0)])
        sel = torch.from_numpy(idx)
        obj = None
        if setup.obj is not None:
            obj = (m.object_poses[sel] if m.object_poses is not None
                   else setup.object_pose0.detach().cpu().float().expand(len(sel), 4, 4).clone())
        body = m.body[sel]
        if self.cfg.placement == "start":
            body = anchor_to_start(setup.avatar.body_model, body, setup.body0.detach())
        return Motion(body, m.body_model, float(request.fps), obj, provenance=dict(m.provenance))

    def _seed(self, request: VideoRequest) -> int:
        return int(self.cfg.appearance.seed if self.cfg.appearance.seed is not None else request.seed)

    def generate(self, request: VideoRequest) -> Video:
        from zerohsi.composition import composite
        from zerohsi.render import render
        from zerohsi.video.scripted.appearance import ImageGap

        setup = _require_setup(request)
        motion = self.ground_truth(request)
        seed = self._seed(request)
        strength = float(self.cfg.appearance.avatar_color)
        avatar = setup.avatar.with_appearance_gap(seed, strength) if strength > 0 else setup.avatar
        look = dataclasses.replace(setup, avatar=avatar)
        gap = ImageGap(self.cfg.appearance, seed)
        device = setup.device
        h, w = request.first_frame.shape[:2]
        frames, human, obj_masks = [], [], []
        body = motion.body.to(device)
        with torch.no_grad():
            for k in range(len(motion)):
                cam = motion.camera(k).to(device)
                if (cam.width, cam.height) != (w, h):
                    cam = cam.resized(w, h)
                pose = None if motion.object_poses is None else motion.object_poses[k].to(device)
                g = composite(look, body[k], pose, cam)
                out = render(g, cam, backend=self.cfg.render_backend, with_groups=True)
                frames.append(to_uint8(gap.apply(out.rgb, k).cpu().numpy()))
                human.append((out.groups[..., 1] > 0.5).cpu().numpy())
                if setup.obj is not None:
                    obj_masks.append((out.groups[..., 2] > 0.5).cpu().numpy())
        workdir = Path(request.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        motion.save(workdir / GT_MOTION)
        masks = {"human": np.stack(human)}
        if not masks["human"].any():
            log.warning("TEST SIGNAL: the person is not visible on any of the %d frames (outside the camera's view); "
                        "the accuracy metrics of this run are invalid and will be skipped. Anchor the motion "
                        "(video.generator.options.placement=start) or move it into view.", len(human))
        if obj_masks:
            masks["object"] = np.stack(obj_masks)
        atomic_savez(workdir / GT_MASKS, **masks)
        return Video(np.stack(frames), float(request.fps), {
            "generator": "scripted", "model": f"scripted-test-signal-v{SIGNAL_VERSION}", "test_signal": True,
            "instance": motion.provenance.get("instance"), "appearance_gap": json.loads(json.dumps(
                dataclasses.asdict(self.cfg.appearance))), "seed": seed,
        })


def heading_deg(global_orient: torch.Tensor) -> torch.Tensor:
    """(B,3) axis-angle root orientations -> (B,) yaw in degrees of the way the body faces (0: -Y, 90: +X)."""
    from zerohsi.geometry import axis_angle_to_matrix

    f = axis_angle_to_matrix(global_orient.double()) @ torch.tensor([0.0, -1.0, 0.0], dtype=torch.float64)
    return torch.rad2deg(torch.atan2(f[:, 0], -f[:, 1]))


def anchor_to_start(model, body, start):
    """``body`` (T frames) moved rigidly — a turn about the vertical through its frame-0 pelvis and a horizontal
    shift — so that its frame-0 pelvis is above ``start``'s and it faces ``start``'s heading; heights are kept (the
    motion keeps its own floor contact)."""
    from zerohsi.body.fitting import model_joints
    from zerohsi.geometry import axis_angle_to_matrix, matrix_to_axis_angle

    pelvis = model.core_joint_index()["pelvis"]
    dev = getattr(model, "device", torch.device("cpu"))
    first, start = body[:1].to(dev), start[:1].to(dev)
    with torch.no_grad():
        p_motion = model_joints(model, first)[0, pelvis].double().cpu()
        p_start = model_joints(model, start.replace(shape=first.shape))[0, pelvis].double().cpu()
    yaw = torch.deg2rad(heading_deg(start.global_orient.cpu()) - heading_deg(first.global_orient.cpu()))[0]
    c, s = torch.cos(yaw), torch.sin(yaw)
    Rz = torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    target = torch.stack([p_start[0], p_start[1], p_motion[2]])
    dt = body.transl.dtype
    # the body turns about its pelvis (transl moves the pelvis one-for-one): pelvis'_t = Rz (pelvis_t - p0) + target
    t = body.transl.double().cpu()
    transl = (t - t[:1]) @ Rz.T + (target - p_motion + t[0])[None]
    orient = matrix_to_axis_angle(Rz @ axis_angle_to_matrix(body.global_orient.double().cpu()))
    return body.replace(transl=transl.to(dt), global_orient=orient.to(dt))


def _require_setup(request: VideoRequest):
    if request.setup is None:
        raise UserError("The scripted test signal needs the clip's setup (scene, avatar, instance); run it through "
                        "the zerohsi pipeline or pass VideoRequest.setup.")
    return request.setup
