"""Import mocap onto a body, retargeted by joint fitting: BVH files (joint names matched by convention or pattern,
or through a user's joint map), AMASS-style npz files and SMPL estimates in pickles (SMPL-family joint rotations,
through an approximate SMPL rest skeleton on a fresh install, or exactly through the smplx plugin and the user's
model files)."""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch

from zerohsi.body.bvh import load_bvh
from zerohsi.body.fitting import FitResult, fit_to_joints
from zerohsi.body.joint_maps import bvh_core_map, load_joint_map
from zerohsi.body.params import BodyModel
from zerohsi.body.smpl_rest import NUM_BODY_JOINTS
from zerohsi.errors import UserError
from zerohsi.motion import Motion

#: metres per unit of the candidate length units, tried in this order by unit detection. "cmu": the CMU mocap
#: skeleton's ASF unit (lengths scaled by 0.45 from inches, so one unit is 0.0254 / 0.45 m), which the common
#: BVH conversions of the CMU database keep.
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu": 0.0254 / 0.45}
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
                    f"pass --units ({', '.join(UNITS)}) or --scale METRES_PER_UNIT.")


def _resample(x: np.ndarray, src_fps: float, fps: float | None) -> tuple[np.ndarray, float]:
    if not fps or abs(fps - src_fps) < 1e-6:
        return x, src_fps
    n = max(1, int(round(x.shape[0] * fps / src_fps)))
    idx = np.clip(np.round(np.arange(n) * src_fps / fps).astype(int), 0, x.shape[0] - 1)
    return x[idx], fps


def bvh_core_joints(path: str | os.PathLike, *, convention: str = "auto", units: str = "auto", up: str = "auto",
                    scale: Optional[float] = None, joint_map: Optional[str] = None
                    ) -> tuple[np.ndarray, list[str], ImportReport, float]:
    """(T,K,3) core-joint positions in zerohsi's world (Z up, metres), their names, a report, the file's fps.

    scale: metres per file unit (overrides ``units``); joint_map: a JSON/YAML file {BVH joint: core joint} used
    instead of the name conventions.
    """
    bvh = load_bvh(path)
    if joint_map:
        conv, mapping = f"map:{os.path.basename(str(joint_map))}", load_joint_map(joint_map, bvh.names)
    else:
        conv, mapping = bvh_core_map(bvh.names, convention, parents=bvh.parents, rest=bvh.rest_positions())
    pos = bvh.global_positions()
    names = list(mapping)
    sel = pos[:, [mapping[n] for n in names]]
    if "head" not in names and "neck" not in names:
        raise UserError(f"'{path}' has no head or neck joint this importer recognises; pass --joint-map FILE.")
    head = names.index("head") if "head" in names else names.index("neck")
    feet = [names.index(n) for n in ("left_ankle", "right_ankle") if n in names]
    if not feet:
        raise UserError(f"'{path}' has no ankle joints this importer recognises; pass --joint-map FILE.")
    up_axis = detect_up(sel, head, feet) if up == "auto" else up
    if up_axis not in ("y", "z"):
        raise UserError(f"Unknown up axis '{up}'; use auto, y or z.")
    if up_axis == "y":
        sel = sel @ Y_UP_TO_Z_UP.T
    height = float(sel[0, head, 2] - sel[0, feet, 2].mean())
    if scale is not None:
        if not (math.isfinite(scale) and scale > 0):
            raise UserError(f"--scale must be a positive number of metres per file unit, got {scale:g}.")
        unit, factor = f"{scale:g} m/unit", float(scale)
    else:
        unit = detect_units(height) if units == "auto" else units
        if unit not in UNITS:
            raise UserError(f"Unknown unit '{units}'; use auto or one of {', '.join(UNITS)}, or --scale.")
        factor = UNITS[unit]
    sel = sel * factor
    report = ImportReport(str(path), conv, unit, up_axis, bvh.num_frames, bvh.fps)
    return sel, names, report, bvh.fps


def import_bvh(path: str | os.PathLike, body: BodyModel, *, fps: float | None = None, convention: str = "auto",
               units: str = "auto", up: str = "auto", scale: Optional[float] = None, joint_map: Optional[str] = None,
               iters: int = 300, smooth_weight: float = 1e-4, fit_shape: bool = False, progress=None
               ) -> tuple[Motion, FitResult, ImportReport]:
    """Retarget a BVH file onto ``body``: core joints -> fit_to_joints (all frames at once; ``fit_shape`` also
    adapts the body's proportions to the skeleton, slower)."""
    joints, names, report, src_fps = bvh_core_joints(path, convention=convention, units=units, up=up, scale=scale,
                                                     joint_map=joint_map)
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
    """An AMASS-style npz as arrays, with ``poses`` (T,3+3J) assembled from ``root_orient`` + ``pose_body`` when
    the file stores the parts only; a file that is not one gets a sentence naming what it holds."""
    from zerohsi.io import load_npz

    try:
        data = load_npz(path)
    except FileNotFoundError:
        raise UserError(f"Motion file '{path}' does not exist; check the path.") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError):
        raise UserError(f"'{path}' is not a readable npz file of plain arrays; give an AMASS-style npz "
                        "(poses, trans, betas, mocap_framerate).") from None
    if "poses" not in data and "root_orient" in data and "pose_body" in data:
        data["poses"] = np.concatenate([data["root_orient"], data["pose_body"]], axis=1)
    if "poses" not in data or "trans" not in data:
        keys = ", ".join(sorted(data)[:12]) or "no arrays"
        hint = (" It is a zerohsi motion file: use it as it is (zerohsi motion info, zerohsi export)."
                if "body_transl" in data else "")
        raise UserError(f"'{path}' is not an AMASS-style motion: it holds {keys}, without the 'poses' and "
                        f"'trans' arrays an AMASS file has.{hint}")
    poses, trans = np.asarray(data["poses"]), np.asarray(data["trans"])
    if poses.ndim != 2 or poses.shape[1] < 3 + 3 * (NUM_BODY_JOINTS - 1) or trans.shape != (poses.shape[0], 3):
        raise UserError(f"'{path}' has 'poses' of shape {poses.shape} and 'trans' of shape {trans.shape}; an AMASS "
                        f"file has (T, >= {3 * NUM_BODY_JOINTS}) and (T, 3).")
    if poses.shape[0] == 0 or not (np.isfinite(poses).all() and np.isfinite(trans).all()):
        raise UserError(f"'{path}' has no frames or non-finite values in 'poses'/'trans'.")
    return data


def amass_fps(data: dict, default: float = 30.0) -> float:
    for key in ("mocap_framerate", "mocap_frame_rate", "fps", "frame_rate"):
        if key in data:
            fps = float(np.asarray(data[key]).reshape(-1)[0])
            if not (math.isfinite(fps) and fps > 0):
                raise UserError(f"The file's {key} is {fps:g}; it must be a positive frame rate.")
            return fps
    return default


def load_smpl_pickle(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """SMPL parameters from an estimator's pickle (4D-Humans/PHALP, GLAMR, WHAM-style dicts, possibly keyed by
    person), read through the restricted unpickler, as AMASS-style ``poses`` (T,72) and ``trans`` (T,3)."""
    from zerohsi.geometry import matrix_to_axis_angle
    from zerohsi.safe_pickle import load_joblib

    obj = load_joblib(path)
    found = _find_smpl_dict(obj, depth=0)
    if found is None:
        raise UserError(f"'{path}' holds no SMPL parameters this importer recognises (a dict with 'poses'/'pose', or "
                        "'global_orient' and 'body_pose', and 'trans'/'transl'); export them as an AMASS-style npz.")

    def aa(x: np.ndarray, joints: int) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-2:] == (3, 3):  # rotation matrices (4D-Humans)
            x = matrix_to_axis_angle(torch.as_tensor(x)).numpy()
        return x.reshape(x.shape[0], -1)[:, : 3 * joints]

    d = found
    if "poses" in d:
        poses = aa(d["poses"], 24)
    else:
        poses = np.concatenate([aa(d["global_orient"], 1), aa(d["body_pose"], 23)], axis=1)
    T = poses.shape[0]
    trans = next((np.asarray(d[k], dtype=np.float64).reshape(T, 3) for k in ("trans", "transl") if k in d),
                 np.zeros((T, 3)))
    out = {"poses": poses, "trans": trans}
    if "betas" in d:
        out["betas"] = np.asarray(d["betas"], dtype=np.float64).reshape(-1, np.shape(d["betas"])[-1])[0]
    return out


_POSE_KEYS = (("pose_world", "trans_world"), ("poses", "trans"), ("pose", "trans"), ("smpl_pose", "root_trans"))


def _find_smpl_dict(obj, depth: int) -> Optional[dict]:
    """The first dict (searching nested dicts and lists) with SMPL pose arrays, keys renamed to poses/trans or
    global_orient/body_pose/transl."""
    if depth > 4:
        return None
    if isinstance(obj, dict):
        for pose_key, trans_key in _POSE_KEYS:
            if isinstance(obj.get(pose_key), np.ndarray) and obj[pose_key].ndim >= 2:
                out = {"poses": obj[pose_key]}
                if isinstance(obj.get(trans_key), np.ndarray):
                    out["trans"] = obj[trans_key]
                for k in ("betas", "smpl_beta", "beta"):
                    if isinstance(obj.get(k), np.ndarray):
                        out["betas"] = obj[k]
                return out
        inner = obj.get("smpl_params", obj.get("smpl"))
        src = inner if isinstance(inner, dict) else obj
        if isinstance(src.get("global_orient"), np.ndarray) and isinstance(src.get("body_pose"), np.ndarray):
            out = {"global_orient": src["global_orient"], "body_pose": src["body_pose"]}
            for k in ("transl", "trans"):  # 4D-Humans keeps the translation beside smpl_params
                for holder in (src, obj):
                    if "trans" not in out and isinstance(holder.get(k), np.ndarray):
                        out["trans"] = holder[k]
            if isinstance(src.get("betas"), np.ndarray):
                out["betas"] = src["betas"]
            return out
        children = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    else:
        return None
    for child in children:
        found = _find_smpl_dict(child, depth + 1)
        if found is not None:
            return found
    return None


def up_rotation(joints: np.ndarray, head: int, feet: list[int]) -> tuple[str, np.ndarray]:
    """('+y' | '-y' | '+z' | ..., R) taking the axis along which the head is above the feet in the first frame to
    +Z (camera-frame estimates are y-down)."""
    d = joints[0, head] - joints[0, feet].mean(0)
    axis = int(np.argmax(np.abs(d)))
    sign = 1.0 if d[axis] > 0 else -1.0
    src = np.zeros(3)
    src[axis] = sign
    R = _rotation_onto(src, np.array([0.0, 0.0, 1.0]))
    return f"{'+' if sign > 0 else '-'}{'xyz'[axis]}", R


def _rotation_onto(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A proper rotation taking unit axis ``a`` onto unit axis ``b`` (a quarter or half turn for axis vectors)."""
    v, c = np.cross(a, b), float(a @ b)
    if c < -0.5:  # opposite: half turn about an axis perpendicular to a
        p = np.eye(3)[int(np.argmin(np.abs(a)))]
        k = np.cross(a, p)
        k /= np.linalg.norm(k)
        return 2 * np.outer(k, k) - np.eye(3)
    K = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + K + K @ K / (1 + c)


def smpl_core_joints(data: dict, *, up: str = "z") -> tuple[np.ndarray, str]:
    """(T,21,3) CORE_JOINTS positions (zerohsi world, metres) of AMASS-style ``poses``/``trans`` through the
    approximate SMPL rest skeleton, and the up axis used ('z', 'y' or the one detected for up='auto')."""
    from zerohsi.body.params import CORE_JOINTS
    from zerohsi.body.smpl_rest import approx_skeleton

    sk = approx_skeleton(data.get("smpl_rest_joints"))
    poses = np.asarray(data["poses"], dtype=np.float64)
    T = poses.shape[0]
    body_pose = np.zeros((T, 69))
    body_pose[:, :63] = poses[:, 3:66]  # the 21 body joints every SMPL-family layout starts with
    if poses.shape[1] == 72:  # plain SMPL: its two hand joints follow
        body_pose[:, 63:] = poses[:, 66:72]
    j = sk.joints(torch.as_tensor(poses[:, :3]), torch.as_tensor(body_pose),
                  transl=torch.as_tensor(np.asarray(data["trans"], dtype=np.float64))).numpy()
    idx = sk.core_joint_index()
    core = j[:, [idx[n] for n in CORE_JOINTS]]
    head, feet = CORE_JOINTS.index("head"), [CORE_JOINTS.index("left_ankle"), CORE_JOINTS.index("right_ankle")]
    if up == "auto":
        up, R = up_rotation(core, head, feet)
        core = core @ R.T
    elif up == "y":
        core = core @ Y_UP_TO_Z_UP.T
    elif up != "z":
        raise UserError(f"Unknown up axis '{up}'; use auto, y or z.")
    return core, up


def import_smpl_motion(path: str | os.PathLike, body: BodyModel, *, fps: float | None = None, up: str = "auto",
                       iters: int = 300, smooth_weight: float = 1e-4, fit_shape: bool = False, progress=None
                       ) -> tuple[Motion, FitResult, ImportReport]:
    """SMPL-family joint rotations (an AMASS-style npz, or an estimator's pickle) -> ``body``, without model files:
    the rotations drive the approximate SMPL skeleton (:mod:`zerohsi.body.smpl_rest`) and ``body`` is fitted to
    its joints. up='auto' is +Z for npz files (AMASS's convention) and detected for pickles."""
    from zerohsi.body.params import CORE_JOINTS

    is_pickle = str(path).lower().endswith((".pkl", ".pickle", ".joblib"))
    data = load_smpl_pickle(path) if is_pickle else load_amass(path)
    src_fps = amass_fps(data) if not is_pickle else float(fps or 30.0)
    joints, used_up = smpl_core_joints(data, up=("auto" if is_pickle else "z") if up == "auto" else up)
    joints, out_fps = _resample(joints, src_fps, fps)
    res = fit_to_joints(body, torch.as_tensor(joints, dtype=torch.float32), list(CORE_JOINTS), iters=iters,
                        smooth_weight=smooth_weight, fit_shape=fit_shape, progress=progress)
    report = ImportReport(str(path), "smpl-approx", "m", used_up, joints.shape[0], out_fps, res.joint_error_m,
                          res.mean_error_m)
    motion = Motion(res.params, getattr(body, "name", "?"), out_fps,
                    provenance={"imported_from": os.path.basename(str(path)),
                                "format": "smpl-pickle" if is_pickle else "amass",
                                "skeleton": "approximate SMPL rest joints (no model files)", "up": used_up,
                                "fit_mean_error_m": res.mean_error_m})
    return motion, res, report


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
    src_fps = amass_fps(d)
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
