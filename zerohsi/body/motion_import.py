"""Import mocap onto a body: BVH files (any skeleton with a known joint-name convention) and AMASS-style npz files
(SMPL-family parameters, through the smplx plugin and the user's model files), retargeted by joint fitting."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch

from zerohsi.body.bvh import load_bvh
from zerohsi.body.fitting import FitResult, fit_to_joints
from zerohsi.body.joint_maps import bvh_core_map
from zerohsi.body.params import BodyModel
from zerohsi.errors import UserError
from zerohsi.motion import Motion

#: metres per unit of the candidate length units, tried in this order by unit detection
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254}
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass
class ImportReport:
    source: str
    convention: str = ""
    units: str = ""
    up: str = ""
    frames: int = 0
    fps: float = 0.0
    joint_error_m: dict[str, float] = field(default_factory=dict)
    mean_error_m: float = 0.0


def detect_up(joints: np.ndarray, head: int, feet: list[int]) -> str:
    """'y' or 'z': the axis along which the head is above the feet in the first frame."""
    d = joints[0, head] - joints[0, feet].mean(0)
    axis = int(np.argmax(np.abs(d)))
    if axis == 1 and d[1] > 0:
        return "y"
    if axis == 2 and d[2] > 0:
        return "z"
    raise UserError("Could not tell the BVH file's up axis (the head is not above the feet in the first frame); "
                    "pass --up y or --up z.")


def detect_units(height: float) -> str:
    """The unit that makes a head-to-ankle height of ``height`` file units a human size (1.0-2.3 m)."""
    for name, scale in UNITS.items():
        if 1.0 <= height * scale * 1.1 <= 2.3:
            return name
    raise UserError(f"Could not tell the BVH file's length unit (head-to-ankle height {height:g} units); "
                    f"pass --units ({', '.join(UNITS)}).")


def _resample(x: np.ndarray, src_fps: float, fps: float | None) -> tuple[np.ndarray, float]:
    if not fps or abs(fps - src_fps) < 1e-6:
        return x, src_fps
    n = max(1, int(round(x.shape[0] * fps / src_fps)))
    idx = np.clip(np.round(np.arange(n) * src_fps / fps).astype(int), 0, x.shape[0] - 1)
    return x[idx], fps


def bvh_core_joints(path: str | os.PathLike, *, convention: str = "auto", units: str = "auto", up: str = "auto"
                    ) -> tuple[np.ndarray, list[str], ImportReport, float]:
    """(T,K,3) core-joint positions in zerohsi's world (Z up, metres), their names, a report, the file's fps."""
    bvh = load_bvh(path)
    conv, mapping = bvh_core_map(bvh.names, convention)
    pos = bvh.global_positions()
    names = list(mapping)
    sel = pos[:, [mapping[n] for n in names]]
    head = names.index("head") if "head" in names else names.index("neck")
    feet = [names.index(n) for n in ("left_ankle", "right_ankle") if n in names]
    if not feet:
        raise UserError(f"'{path}' has no ankle joints this importer recognises; pass --convention.")
    up_axis = detect_up(sel, head, feet) if up == "auto" else up
    if up_axis not in ("y", "z"):
        raise UserError(f"Unknown up axis '{up}'; use auto, y or z.")
    if up_axis == "y":
        sel = sel @ Y_UP_TO_Z_UP.T
    height = float(sel[0, head, 2] - sel[0, feet, 2].mean())
    unit = detect_units(height) if units == "auto" else units
    if unit not in UNITS:
        raise UserError(f"Unknown unit '{units}'; use auto or one of {', '.join(UNITS)}.")
    sel = sel * UNITS[unit]
    report = ImportReport(str(path), conv, unit, up_axis, bvh.num_frames, bvh.fps)
    return sel, names, report, bvh.fps


def import_bvh(path: str | os.PathLike, body: BodyModel, *, fps: float | None = None, convention: str = "auto",
               units: str = "auto", up: str = "auto", iters: int = 300, smooth_weight: float = 1e-4,
               fit_shape: bool = False, progress=None) -> tuple[Motion, FitResult, ImportReport]:
    """Retarget a BVH file onto ``body``: core joints -> fit_to_joints (all frames at once; ``fit_shape`` also
    adapts the body's proportions to the skeleton, slower)."""
    joints, names, report, src_fps = bvh_core_joints(path, convention=convention, units=units, up=up)
    joints, out_fps = _resample(joints, src_fps, fps)
    res = fit_to_joints(body, torch.as_tensor(joints, dtype=torch.float32), names, iters=iters,
                        smooth_weight=smooth_weight, fit_shape=fit_shape, progress=progress)
    report.frames, report.fps = joints.shape[0], out_fps
    report.joint_error_m, report.mean_error_m = res.joint_error_m, res.mean_error_m
    motion = Motion(res.params, getattr(body, "name", "?"), out_fps,
                    provenance={"imported_from": os.path.basename(str(path)), "format": "bvh",
                                "convention": report.convention, "units": report.units, "up": report.up,
                                "fit_mean_error_m": res.mean_error_m})
    return motion, res, report


def load_amass(path: str | os.PathLike) -> dict[str, np.ndarray]:
    from zerohsi.io import load_npz

    try:
        data = load_npz(path)
    except FileNotFoundError:
        raise UserError(f"Motion file '{path}' does not exist; check the path.") from None
    except (ValueError, OSError) as exc:
        raise UserError(f"'{path}' is not a readable npz file ({exc}).") from None
    if "poses" not in data or "trans" not in data:
        raise UserError(f"'{path}' is not an AMASS-style npz (it needs 'poses' and 'trans' arrays).")
    return data


def import_amass(path: str | os.PathLike, body: BodyModel, smpl_body, *, fps: float | None = None, up: str = "z",
                 iters: int = 300, smooth_weight: float = 1e-4, fit_shape: bool = False, progress=None
                 ) -> tuple[Motion, FitResult | None, ImportReport]:
    """AMASS-style npz (poses (T,3+J*3), trans (T,3), betas, mocap_framerate; Z-up world) -> ``body``.

    ``smpl_body`` is the smplx plugin's backend holding the user's model files; when ``body`` is that backend the
    parameters are converted exactly, otherwise the SMPL joints are retargeted by fitting.
    """
    from zerohsi_smplx.body import from_native

    from zerohsi.body.fitting import retarget

    d = load_amass(path)
    src_fps = float(d.get("mocap_framerate", d.get("mocap_frame_rate", 30.0)))
    poses, trans = d["poses"].astype(np.float32), d["trans"].astype(np.float32)
    poses, out_fps = _resample(poses, src_fps, fps)
    trans, _ = _resample(trans, src_fps, fps)
    T = poses.shape[0]
    nb = smpl_body.num_body_joints * 3
    body_pose = np.zeros((T, nb), dtype=np.float32)
    n = min(nb, poses.shape[1] - 3)
    body_pose[:, :n] = poses[:, 3:3 + n]
    betas = np.zeros((T, smpl_body.shape_dim), dtype=np.float32)
    if "betas" in d:
        b = np.asarray(d["betas"], dtype=np.float32).reshape(-1)[: smpl_body.shape_dim]
        betas[:, : b.size] = b
    t = lambda a: torch.as_tensor(a, dtype=smpl_body.dtype)  # noqa: E731
    params = from_native(smpl_body, t(poses[:, :3]), t(body_pose), t(betas), t(trans), up=up)
    report = ImportReport(str(path), "amass", "m", up, T, out_fps)
    res = None
    if body is smpl_body:
        fitted = params
    else:
        res = retarget(smpl_body, params, body, iters=iters, smooth_weight=smooth_weight, fit_shape=fit_shape,
                       progress=progress)
        fitted = res.params
        report.joint_error_m, report.mean_error_m = res.joint_error_m, res.mean_error_m
    motion = Motion(fitted, getattr(body, "name", "?"), out_fps,
                    provenance={"imported_from": os.path.basename(str(path)), "format": "amass",
                                "fit_mean_error_m": report.mean_error_m})
    return motion, res, report
