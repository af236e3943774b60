"""AMASS-style npz export.

SMPL-X bodies get the AMASS keys: ``trans`` (T,3), ``root_orient`` (T,3), ``pose_body`` (T,63), ``pose_hand``
(T,90), ``pose_jaw`` (T,3), ``pose_eye`` (T,6), ``poses`` (T,165, the concatenation in that order, root first),
``betas`` (S,), ``num_betas``, ``mocap_framerate`` (and its newer spelling ``mocap_frame_rate``),
``mocap_time_length``, ``gender``, ``surface_model_type`` = "smplx". Missing parts are zeros.

Other backends (anny) get the same layout where it makes sense, documented in the file itself:
``trans``, ``root_orient``, ``pose_body`` (T,(J-1)*3: every non-root bone's axis-angle, in the backend's
``body_pose`` order), ``betas`` = the backend's shape / phenotype vector,
``shape_names`` when the backend names them, ``surface_model_type`` = the backend name.

Every file also carries ``joint_names``, ``parents``, ``joints`` (T,J,3 posed joint positions), ``up_axis`` and,
for dynamic interactions, ``obj_poses`` (T,4,4 object-to-world), ``obj_trans`` (T,3), ``obj_root_orient`` (T,3).
Frames: ``up='z'`` is zerohsi's (and AMASS's) +Z-up world. For ``up='y'`` the root orientation is rotated and
``trans`` recomputed so that the backend's own forward pass with the exported values lands on the rotated body.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
import torch

from zerohsi.body.params import BodyModel, BodyParams
from zerohsi.geometry import axis_angle_to_matrix, matrix_to_axis_angle
from zerohsi.io import atomic_savez
from zerohsi.motion import Motion
from zerohsi.outputs.export.skeleton import CHUNK_FRAMES, model_device, posed_joints, up_matrix

DESCRIPTION = (
    "zerohsi AMASS-style motion. trans (T,3) m; root_orient (T,3) axis-angle; pose_body (T,P) axis-angle of the "
    "backend's non-root joints in its body_pose order; betas: the backend's shape parameters; joints (T,J,3) posed "
    "joint positions; obj_poses (T,4,4) object-to-world; up_axis says which world axis points up."
)

SMPLX_BODY, SMPLX_HANDS = 21, 30


@torch.no_grad()
def body_in_frame(body_model: BodyModel, body: BodyParams, up: str) -> tuple[BodyParams, np.ndarray]:
    """BodyParams re-expressed in the ``up`` frame, and the (T,J,3) posed joints in that frame.

    Rotating the world by U turns the root orientation R into U R; the translation follows from the root joint:
    trans' = U p_root - root(R', trans = 0), which holds for any backend whose ``transl`` is a pure offset.
    """
    U = torch.as_tensor(up_matrix(up), dtype=torch.float32)
    device = model_device(body_model)
    out_params, joints = [], []
    for start in range(0, len(body), CHUNK_FRAMES):
        chunk = body[start:start + CHUNK_FRAMES].detach().to(torch.float32).to("cpu")
        j_world = posed_joints(body_model, chunk.to(device))[0].detach().float().cpu()
        if up == "z":
            out_params.append(chunk)
            joints.append(j_world)
            continue
        R = U @ axis_angle_to_matrix(chunk.global_orient)
        orient = matrix_to_axis_angle(R)
        at_origin = posed_joints(body_model, chunk.replace(global_orient=orient,
                                                           transl=torch.zeros_like(chunk.transl)).to(device))[0]
        root = _root_index(body_model)
        target = j_world[:, root] @ U.T
        transl = target - at_origin[:, root].float().cpu()
        out_params.append(chunk.replace(global_orient=orient, transl=transl))
        joints.append(j_world @ U.T)
    return BodyParams.cat(out_params), torch.cat(joints).numpy()


def amass_arrays(motion: Motion, body_model: BodyModel, up: str = "z", *, object_name: Optional[str] = None,
                 gender: Optional[str] = None) -> dict[str, np.ndarray]:
    """The arrays of the AMASS-style file (see the module docstring)."""
    params, joints = body_in_frame(body_model, motion.body, up)
    p = {k: v.astype(np.float32) for k, v in params.as_numpy().items()}
    T = len(params)
    name = str(getattr(body_model, "name", motion.body_model) or motion.body_model)
    betas = p["shape"][0] if T else np.zeros(p["shape"].shape[1], np.float32)
    gender = gender or str(getattr(body_model, "gender", "neutral"))
    arrays: dict[str, np.ndarray] = {
        "trans": p["transl"],
        "root_orient": p["global_orient"],
        "betas": betas,
        "num_betas": np.int64(betas.shape[0]),
        "mocap_framerate": np.float64(motion.fps),
        "mocap_frame_rate": np.float64(motion.fps),
        "mocap_time_length": np.float64(T / motion.fps if motion.fps else 0.0),
        "gender": np.str_(gender),
        "surface_model_type": np.str_(name),
        "joint_names": np.array([str(n) for n in body_model.joint_names]),
        "parents": np.asarray(torch.as_tensor(body_model.parents).cpu().numpy(), dtype=np.int64),
        "joints": joints.astype(np.float32),
        "up_axis": np.str_(up),
        "description": np.str_(DESCRIPTION),
    }
    if T and not np.allclose(p["shape"], p["shape"][:1], atol=1e-6):
        arrays["betas_per_frame"] = p["shape"]  # shape changed over the sequence: keep every frame's
    shape_names = getattr(body_model, "shape_names", None)
    if not shape_names and name == "anny":  # anny's shape vector is its phenotype, in this documented order
        from zerohsi.body.anny_model import PHENOTYPES

        shape_names = PHENOTYPES if len(PHENOTYPES) == betas.shape[0] else None
    if shape_names:
        arrays["shape_names"] = np.array([str(n) for n in shape_names])
    pose = p["body_pose"]
    if name == "smplx":
        arrays.update(_smplx_parts(arrays["root_orient"], pose))
    else:
        arrays["pose_body"] = pose
    arrays.update(object_arrays(motion, up, object_name))
    return arrays


def object_arrays(motion: Motion, up: str, object_name: Optional[str]) -> dict[str, np.ndarray]:
    """obj_poses (T,4,4), obj_trans, obj_root_orient (and obj_name) in the ``up`` frame; empty without an object."""
    if motion.object_poses is None:
        return {}
    P = motion.object_poses.detach().double().cpu()
    U = torch.as_tensor(up_matrix(up), dtype=torch.float64)
    R, t = U @ P[:, :3, :3], P[:, :3, 3] @ U.T
    poses = torch.zeros_like(P)
    poses[:, :3, :3], poses[:, :3, 3], poses[:, 3, 3] = R, t, 1.0
    arrays = {"obj_poses": poses.float().numpy(), "obj_trans": t.float().numpy(),
              "obj_root_orient": matrix_to_axis_angle(R).float().numpy()}
    if object_name:
        arrays["obj_name"] = np.str_(object_name)
    return arrays


SMPLH_DESCRIPTION = (
    "zerohsi motion as SMPL+H joint rotations (AMASS layout), retargeted from the '{body}' body onto the SMPL body "
    "skeleton. poses (T,156) axis-angle: root, 21 body joints, 30 hand joints (zero); trans (T,3) m, with "
    "pelvis = smpl_rest_joints[0] + trans; smpl_rest_joints (24,3): the rest joints (model frame, T-pose) of the "
    "skeleton the rotations were solved on, SMPL's tree with the body's proportions (a SMPL model's own rest pelvis "
    "differs by a few cm); betas are zero (the body's shape is not a SMPL shape); joints (T,22,3) the joints the "
    "rotations produce on that skeleton; retarget_error_m their mean distance to the body's joints; up_axis says "
    "which world axis points up."
)


def smplh_amass_arrays(motion: Motion, body_model: BodyModel, up: str = "z", *,
                       object_name: Optional[str] = None) -> dict[str, np.ndarray]:
    """AMASS-style SMPL+H arrays retargeted from any body with SMPL correspondences (zerohsi.outputs.export.smpl)."""
    from scipy.spatial.transform import Rotation

    from zerohsi.outputs.export.smpl import PARENTS22, SMPL22_NAMES, retarget_to_smpl

    sm = retarget_to_smpl(body_model, motion.body, motion.fps)
    T = sm.rotations.shape[0]
    U = up_matrix(up)
    rot = sm.rotations.copy()
    rot[:, 0] = U @ rot[:, 0]  # rotating the world turns the root's model-to-world rotation
    pelvis = sm.root @ U.T
    trans = pelvis - sm.rest_model[0]  # SMPL rotates about the root joint: pelvis = J_0 + trans
    aa = Rotation.from_matrix(rot.reshape(-1, 3, 3)).as_rotvec().reshape(T, -1, 3).astype(np.float32)
    hands = np.zeros((T, 90), np.float32)
    body = aa[:, 1:].reshape(T, 63)
    name = str(getattr(body_model, "name", motion.body_model) or motion.body_model)
    arrays: dict[str, np.ndarray] = {
        "poses": np.concatenate([aa[:, 0], body, hands], axis=1),
        "trans": trans.astype(np.float32),
        "root_orient": aa[:, 0],
        "pose_body": body,
        "pose_hand": hands,
        "betas": np.zeros(16, np.float32),
        "num_betas": np.int64(16),
        "gender": np.str_("neutral"),
        "mocap_framerate": np.float64(motion.fps),
        "mocap_frame_rate": np.float64(motion.fps),
        "mocap_time_length": np.float64(T / motion.fps),
        "surface_model_type": np.str_("smplh"),
        "source_body_model": np.str_(name),
        "joint_names": np.array(SMPL22_NAMES),
        "parents": PARENTS22.copy(),
        "joints": (sm.joints @ U.T).astype(np.float32),
        "smpl_rest_joints": sm.rest_model.astype(np.float32),
        "retarget_error_m": np.float64(sm.mean_error_m),
        "retarget_max_error_m": np.float64(sm.max_error_m),
        "up_axis": np.str_(up),
        "description": np.str_(SMPLH_DESCRIPTION.format(body=name)),
    }
    arrays.update(object_arrays(motion, up, object_name))
    return arrays


def _smplx_parts(root_orient: np.ndarray, pose: np.ndarray) -> dict[str, np.ndarray]:
    """Split a SMPL-X body_pose (body 21 joints, optionally jaw, eyes and hands after it) into AMASS's parts."""
    T, n = pose.shape[0], pose.shape[1] // 3
    aa = pose.reshape(T, n, 3)
    body = _take(aa, 0, SMPLX_BODY)
    if n >= SMPLX_BODY + 3 + SMPLX_HANDS:  # smplx full pose order: body, jaw, leye, reye, left hand, right hand
        jaw, eyes, hands = _take(aa, 21, 1), _take(aa, 22, 2), _take(aa, 24, SMPLX_HANDS)
    elif n >= SMPLX_BODY + SMPLX_HANDS:  # body then hands (SMPL-H layout)
        jaw, eyes, hands = _take(aa, n, 1), _take(aa, n, 2), _take(aa, 21, SMPLX_HANDS)
    else:
        jaw, eyes, hands = _take(aa, n, 1), _take(aa, n, 2), _take(aa, n, SMPLX_HANDS)
    return {"pose_body": body, "pose_jaw": jaw, "pose_eye": eyes, "pose_hand": hands,
            "poses": np.concatenate([root_orient, body, jaw, eyes, hands], axis=1)}


def _take(aa: np.ndarray, start: int, count: int) -> np.ndarray:
    """(T,count*3) slice of per-joint axis-angles, zero-padded past the end."""
    T, n = aa.shape[:2]
    out = np.zeros((T, count, 3), dtype=np.float32)
    avail = max(0, min(count, n - start))
    if avail:
        out[:, :avail] = aa[:, start:start + avail]
    return out.reshape(T, count * 3)


def write_amass_npz(path: str | os.PathLike, motion: Motion, body_model: BodyModel, up: str = "z", *,
                    object_name: Optional[str] = None, smpl: bool = False) -> dict[str, np.ndarray]:
    """Write the AMASS-style npz atomically (``smpl``: the SMPL+H retarget, else the body's own parameters);
    returns the arrays written."""
    arrays = (smplh_amass_arrays if smpl else amass_arrays)(motion, body_model, up, object_name=object_name)
    atomic_savez(path, **arrays)
    return arrays


def _root_index(body_model: BodyModel) -> int:
    parents = torch.as_tensor(body_model.parents)
    return int(torch.nonzero(parents < 0)[0, 0])
