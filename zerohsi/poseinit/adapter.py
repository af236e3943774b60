"""The shared shape of adapters for SMPL-family pose estimators (SMPLer-X, WHAM, GVHMR plugins).

An adapter reads the tool's output (a file or folder the user points at, or one it produces by running the tool's
command on the clip) into :class:`ToolResult` tracks; everything after that is common: joints, into our world,
gaps filled, retargeted onto the run's body model.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np
import torch

from zerohsi.body.smpl_skeleton import SmplSkeleton
from zerohsi.errors import UserError
from zerohsi.poseinit.base import PoseInit
from zerohsi.poseinit.config import SmplAdapterConfig
from zerohsi.poseinit.external import find_output, run_tool
from zerohsi.poseinit.retarget import SmplTrack, align_world, camera_to_world, pose_init_from_joints, scatter
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup


@dataclass
class ToolResult:
    """camera: the person in the tool's camera (always); world: the same frames in the tool's y-up world, or None."""

    camera: SmplTrack
    world: Optional[SmplTrack] = None
    notes: tuple[str, ...] = ()


@dataclass
class WorldJoints:
    """(T,J,3) world joints (zeros where not valid), valid (T,), whether they form a world trajectory, notes."""

    joints: torch.Tensor
    valid: np.ndarray
    world: bool
    notes: list[str]


class SmplFamilyAdapter:
    """Base class: subclasses set ``name``, ``model_type``, ``output_pattern`` and implement :meth:`read`."""

    name = "smpl_family"
    model_type = "smplx"
    output_pattern = "*"
    #: use the tool's world trajectory when it has one (False: every frame through the tracked cameras)
    use_world = True

    def __init__(self, cfg: SmplAdapterConfig) -> None:
        self.cfg = cfg

    # -- to implement --------------------------------------------------------------------------------------------
    def read(self, path: Path, video: Video, masks: Optional[Masks]) -> ToolResult:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------------------------
    def skeleton(self) -> SmplSkeleton:
        if not self.cfg.model_path:
            raise UserError(f"The {self.name} pose initializer needs the {self.model_type.upper()} model file; set "
                            f"pose_initializer.options.model_path to your downloaded model.")
        return SmplSkeleton.from_model_file(self.cfg.model_path, self.model_type, self.cfg.gender)

    def locate(self, video: Video, workdir: Path) -> Path:
        if self.cfg.output:
            return find_output(self.cfg.output, self.output_pattern, name=self.name)
        if not self.cfg.command:
            raise UserError(f"The {self.name} pose initializer needs either options.output (the tool's result) or "
                            "options.command (how to run the tool on the clip).")
        out = run_tool(self.cfg.command, video, workdir, name=self.name, cwd=self.cfg.cwd or None,
                       timeout_s=self.cfg.timeout_s)
        return find_output(out, self.output_pattern, name=self.name)

    def world_joints(self, video: Video, masks: Optional[Masks], cameras: Sequence[Camera],
                     skeleton: SmplSkeleton) -> WorldJoints:
        T = len(video)
        if len(cameras) < T:
            raise ValueError(f"{len(cameras)} cameras for {T} frames")
        with tempfile.TemporaryDirectory(prefix=f"zerohsi-{self.name}-") as tmp:
            result = self.read(self.locate(video, Path(tmp)), video, masks)
        cam = result.camera
        if len(cam) == 0:
            raise UserError(f"The {self.name} output holds no person; check that the tool ran on this clip.")
        finite = np.isfinite(np.concatenate([cam.global_orient, cam.body_pose, cam.transl], 1)).all(1)
        jc = cam.joints(skeleton)
        jw = camera_to_world(jc, torch.as_tensor(cam.K), cameras, cam.frame_ids, (video.width, video.height))
        world = result.world is not None and self.use_world
        if world:
            jg = result.world.joints(skeleton)
            i0 = int(np.flatnonzero(finite)[0]) if finite.any() else 0
            c2w = cameras[int(cam.frame_ids[i0])].cam_to_world.to(torch.float64)
            rot_w0 = c2w[:3, :3] @ cam.root_rotation()[i0]
            rot_g0 = result.world.root_rotation()[i0]
            jw = align_world(jg, jg[i0], rot_g0, jw[i0], rot_w0)
        keep = np.flatnonzero(finite)  # NaN results (some tools write them for lost frames) count as gaps
        joints, valid = scatter(jw[torch.as_tensor(keep)], cam.frame_ids[keep], T)
        return WorldJoints(joints, valid, world, list(result.notes))

    def initialize(self, video: Video, masks: Masks, cameras: Sequence[Camera], setup: Setup) -> PoseInit:
        skeleton = self.skeleton()
        wj = self.world_joints(video, masks, cameras, skeleton)
        return pose_init_from_joints(setup, wj.joints, wj.valid, skeleton, world=wj.world, notes=wj.notes,
                                     iters=self.cfg.fit_iters)
