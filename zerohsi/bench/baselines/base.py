"""Importing a peer method's SMPL-X output as a zerohsi `Motion`.

Steps shared by every baseline: read the output file without running code from it (restricted unpickler, npz
without pickle, torch weights-only); pick out SMPL-X parameters under the method's own key names; resample from
its frame rate (30 fps) to ours (10 fps); SMPL-X joints by forward kinematics from the user's model file; the
method's world (y-up for TRUMANS and LINGO, z-up for CHOIS) onto ours (+Z up); then a per-frame fit of our body
model to those joints, so the same metric code scores every method.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from zerohsi.bench.baselines.configs import BaselineConfig
from zerohsi.errors import UserError
from zerohsi.io import load_tensors

SMPLX_MODEL_ENV = "ZEROHSI_SMPLX_MODEL"


def read_output(path: str | os.PathLike) -> dict[str, Any]:
    """A baseline output file as a dict of arrays/values: .pkl/.pickle (restricted), .npz/.npy (no pickle),
    .pt/.pth (weights-only), .json."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"Baseline output '{path}' does not exist; check the path.")
    suffix = path.suffix.lower()
    if suffix in {".pkl", ".pickle", ".joblib"}:
        from zerohsi.safe_pickle import load_joblib

        data = load_joblib(path)
    elif suffix == ".npz":
        from zerohsi.io import load_npz

        try:
            data = load_npz(path)
        except (OSError, ValueError) as exc:
            raise UserError(f"'{path}' is not a readable npz without pickled objects ({exc}).") from None
    elif suffix == ".npy":
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError:
            raise UserError(f"'{path}' holds pickled objects; save the parameters as a plain array or npz.") from None
    elif suffix in {".pt", ".pth"}:
        data = load_tensors(path, "baseline output", "re-save it with tensors and containers only")
    elif suffix == ".json":
        import json

        data = json.loads(path.read_text())
    else:
        raise UserError(f"Unsupported baseline output '{path.name}'; give a .pkl, .npz, .npy, .pt or .json file.")
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], dict):
        data = concat_segments(list(data))
    if not isinstance(data, dict):
        raise UserError(f"'{path}' holds a {type(data).__name__}, not a mapping of SMPL-X parameters.")
    return {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in data.items()}


def concat_segments(segments: list[dict[str, Any]]) -> dict[str, Any]:
    """Several output segments (one per text segment) joined along time; non-array fields from the first."""
    out: dict[str, Any] = {}
    for key, first in segments[0].items():
        if isinstance(first, (np.ndarray, torch.Tensor)) and np.ndim(first) >= 2:
            out[key] = np.concatenate([np.asarray(s[key]) for s in segments if key in s])
        else:
            out[key] = first
    return out


def pick(data: dict[str, Any], names: tuple[str, ...], what: str, source: str) -> Optional[np.ndarray]:
    for n in names:
        if n in data and data[n] is not None:
            return np.asarray(data[n], dtype=np.float64)
    if what:
        raise UserError(f"{source} output lacks {what} (looked for {', '.join(names)}); give the method's raw "
                        "SMPL-X output file.")
    return None


def resample_indices(num_frames: int, source_fps: float, target_fps: float) -> np.ndarray:
    """Frame indices that take a whole sequence from source_fps down to target_fps (every 3rd frame for 30 -> 10
    fps; never up): the video resampling rule (:func:`zerohsi.video.resample.resample_indices`) over its length."""
    from zerohsi.video.resample import resample_indices as video_indices

    if target_fps >= source_fps:
        return np.arange(num_frames)
    return video_indices(num_frames, source_fps, target_fps, math.ceil(num_frames * target_fps / source_fps))


@dataclass
class SmplxSequence:
    """SMPL-X parameters as the method wrote them: global_orient (T,3), body_pose (T,63), transl (T,3),
    betas (T,S); up: "y" or "z" (the method's world); object_rot (T,3,3) / object_transl (T,3) or None."""

    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    betas: np.ndarray
    fps: float
    up: str
    object_rot: Optional[np.ndarray] = None
    object_transl: Optional[np.ndarray] = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.transl.shape[0])

    def take(self, idx: np.ndarray) -> SmplxSequence:
        sel = lambda a: None if a is None else a[idx]  # noqa: E731
        return SmplxSequence(self.global_orient[idx], self.body_pose[idx], self.transl[idx], self.betas[idx],
                             self.fps, self.up, sel(self.object_rot), sel(self.object_transl), dict(self.meta))


def world_rotation(up: str) -> torch.Tensor:
    """(3,3) float64 rotation from the method's world to ours (+Z up)."""
    if up == "z":
        return torch.eye(3, dtype=torch.float64)
    from zerohsi.poseinit.retarget import YUP_TO_ZUP

    return YUP_TO_ZUP.clone()


class BaselineImporter:
    """Reads one method's output; subclasses name the keys, frame rate and up axis."""

    method = "baseline"
    default_fps = 30.0
    up = "y"
    keys = {
        "global_orient": ("global_orient", "root_orient", "poses_root"),
        "body_pose": ("body_pose", "pose_body"),
        "transl": ("transl", "trans", "root_trans"),
        "betas": ("betas", "shape"),
        "object_rot": ("obj_rot_mat", "object_rot_mat", "obj_rot"),
        "object_transl": ("obj_trans", "obj_com_pos", "object_trans", "obj_transl"),
        "full_pose": ("poses", "pose"),
    }

    def __init__(self, cfg: BaselineConfig | None = None) -> None:
        self.cfg = cfg or BaselineConfig()

    # -- reading ------------------------------------------------------------------------------------------------
    def read(self, path: str | os.PathLike) -> SmplxSequence:
        data = read_output(path)
        name = self.method.upper()
        k = self.keys
        full = pick(data, k["full_pose"], "", name)
        go = pick(data, k["global_orient"], "" if full is not None else "global_orient", name)
        bp = pick(data, k["body_pose"], "" if full is not None else "body_pose", name)
        if go is None or bp is None:  # one (T, 3 + 63 + ...) pose vector per frame
            full = full.reshape(full.shape[0], -1)
            go, bp = full[:, :3], full[:, 3:66]
        T = go.reshape(-1, 3).shape[0]
        go, bp = go.reshape(T, 3), bp.reshape(T, -1)[:, :63]
        transl = pick(data, k["transl"], "transl", name).reshape(T, 3)
        betas = pick(data, k["betas"], "", name)
        betas = np.zeros((T, 10)) if betas is None else np.broadcast_to(betas.reshape(-1, betas.shape[-1])
                                                                         if betas.ndim > 1 else betas[None],
                                                                         (T, betas.shape[-1])).copy()
        rot = pick(data, k["object_rot"], "", name)
        obj_t = pick(data, k["object_transl"], "", name)
        if rot is not None and rot.shape[-1] == 3 and rot.ndim == 2:  # axis-angle per frame
            from zerohsi.geometry import axis_angle_to_matrix

            rot = axis_angle_to_matrix(torch.as_tensor(rot)).numpy()
        meta = {key: str(data[key]) for key in ("scene_name", "raw_text", "text", "obj_name", "seq_name")
                if key in data and not isinstance(data[key], np.ndarray)}
        fps = self.cfg.source_fps or float(np.asarray(data.get("fps", self.default_fps)).reshape(-1)[0])
        return SmplxSequence(go, bp, transl, betas, fps, self.up,
                             None if rot is None else rot.reshape(T, 3, 3),
                             None if obj_t is None else obj_t.reshape(T, 3), meta)

    # -- to our world and body ---------------------------------------------------------------------------------
    def skeleton(self):
        from zerohsi.body.smpl_skeleton import SmplSkeleton

        path = self.cfg.model_path or os.environ.get(SMPLX_MODEL_ENV)
        if not path:
            raise UserError(f"Importing {self.method} needs your SMPL-X model file: set {SMPLX_MODEL_ENV} or the "
                            "importer option model_path (SMPLX_NEUTRAL.npz from the SMPL-X site).")
        return SmplSkeleton.from_model_file(path, "smplx", self.cfg.gender)

    def world_joints(self, seq: SmplxSequence) -> torch.Tensor:
        """(T,len(CORE_JOINTS),3) core joints in our world (+Z up, metres)."""
        from zerohsi.poseinit.retarget import core_targets

        skel = self.skeleton()
        joints = skel.joints(seq.global_orient, seq.body_pose, seq.betas, seq.transl)
        return core_targets(skel, joints) @ world_rotation(seq.up).T

    def object_poses(self, seq: SmplxSequence) -> Optional[torch.Tensor]:
        """(T,4,4) object-to-world poses in our world, or None."""
        if seq.object_rot is None or seq.object_transl is None:
            return None
        from zerohsi.geometry import make_transform

        W = world_rotation(seq.up)
        R = W @ torch.as_tensor(seq.object_rot, dtype=torch.float64)
        t = torch.as_tensor(seq.object_transl, dtype=torch.float64) @ W.T
        return make_transform(R, t).float()

    def to_motion(self, path: str | os.PathLike, body_model=None):
        """Read, resample to ``target_fps``, retarget onto ``body_model`` (built from cfg.body when None)."""
        from zerohsi.body import fitting
        from zerohsi.motion import Motion

        seq = self.read(path)
        seq = seq.take(resample_indices(len(seq), seq.fps, self.cfg.target_fps))
        fps = min(seq.fps, self.cfg.target_fps)
        targets = self.world_joints(seq).float()
        if body_model is None:
            from zerohsi.plugins import get_host

            body_model = get_host().build("body_model", self.cfg.body)
        fit = fitting.fit_to_joints(body_model, targets, iters=self.cfg.fit_iters, smooth_weight=self.cfg.smooth_weight)
        prov = {"baseline": self.method, "source": str(path), "source_fps": seq.fps,
                "retarget_error_m": fit.mean_error_m, **seq.meta}
        return Motion(fit.params.detach(), body_model.name, fps, object_poses=self.object_poses(seq), provenance=prov)


class TrumansImporter(BaselineImporter):
    """TRUMANS: SMPL-X, y-up world, 30 fps; per frame global_orient (3), body_pose (63), transl (3)."""

    method = "trumans"


class LingoImporter(BaselineImporter):
    """LINGO: a pickle {transl (T,3), body_pose (T,63), global_orient (T,3), scene_name, raw_text}; SMPL-X, y-up,
    30 fps (a list of such segments is joined along time)."""

    method = "lingo"


class ChoisImporter(BaselineImporter):
    """CHOIS: SMPL-X, z-up, metres, 30 fps; human parameters plus per-frame object rotation (3,3) and translation."""

    method = "chois"
    up = "z"
