"""Per-frame errors against the ground truth, for the report's error plots and the W&B per-frame table.

The metrics (zerohsi.metrics.fidelity) average these over frames; here the same definitions are kept frame by frame
so a user sees *which* frames went wrong: joint error (mpjpe_mm, CORE_JOINTS, world frame), pelvis error
(root_err_cm), global-orientation error (orient_err_deg), and, where both sides have them, the object and camera
pose errors (centimetres and degrees).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from zerohsi.geometry import axis_angle_to_matrix, invert_transform, rotation_angle_deg

if TYPE_CHECKING:
    from zerohsi.body.params import BodyModel
    from zerohsi.motion import Motion


def frame_errors(motion: Motion, truth: Motion, body_model: Optional[BodyModel] = None) -> dict[str, np.ndarray]:
    """name -> (n,) per-frame error over the frames both motions have (column order is the display order).

    Without a body model only the pose-free errors (orientation, object, camera) are computed.
    """
    n = min(len(motion), len(truth))
    out: dict[str, np.ndarray] = {}
    if n <= 0:
        return out
    if body_model is not None:
        from zerohsi.body.params import CORE_JOINTS, core_joints
        from zerohsi.metrics.posed import pose_motion

        names = [j for j in CORE_JOINTS if j in body_model.core_joint_index()]
        pred = core_joints(body_model, pose_motion(motion, body_model).joints, names)[:n].double()
        gt = core_joints(body_model, pose_motion(truth, body_model).joints, names)[:n].double()
        out["mpjpe_mm"] = 1000.0 * (pred - gt).norm(dim=-1).mean(-1).numpy()
        if "pelvis" in names:
            pelvis = names.index("pelvis")
            out["root_err_cm"] = 100.0 * (pred[:, pelvis] - gt[:, pelvis]).norm(dim=-1).numpy()
    Ra = axis_angle_to_matrix(motion.body.global_orient[:n].detach().double())
    Rb = axis_angle_to_matrix(truth.body.global_orient[:n].detach().double())
    out["orient_err_deg"] = rotation_angle_deg(Ra, Rb).numpy()
    pairs = [("obj", motion.object_poses, truth.object_poses)]
    if motion.world_to_cam is not None and truth.world_to_cam is not None:
        pairs.append(("cam", invert_transform(motion.world_to_cam.double()),
                      invert_transform(truth.world_to_cam.double())))
    for name, a, b in pairs:
        if a is None or b is None:
            continue
        a, b = a[:n].detach().double(), b[:n].detach().double()
        out[f"{name}_transl_err_cm"] = 100.0 * (a[:, :3, 3] - b[:, :3, 3]).norm(dim=-1).numpy()
        out[f"{name}_rot_err_deg"] = rotation_angle_deg(a[:, :3, :3], b[:, :3, :3]).numpy()
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def frame_error_rows(errors: dict[str, np.ndarray]) -> tuple[list[str], list[list[float]]]:
    """(columns, rows) of a per-frame table: ``frame`` then one column per error."""
    names = list(errors)
    n = min((len(v) for v in errors.values()), default=0)
    return ["frame", *names], [[t, *(float(errors[k][t]) for k in names)] for t in range(n)]
