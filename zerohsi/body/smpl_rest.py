"""An approximate SMPL-family rest skeleton, so that SMPL / SMPL+H / SMPL-X joint rotations (AMASS files, pose
estimators' pickles) can be read without the licensed model files, and so that motion can be written as SMPL
joint rotations.

All three models share the first 22 joints (the body: pelvis to wrists) with the same parents, and their rest
pose is a T-pose in the model frame (+Y up, +X the body's left, +Z forward) with every joint frame aligned to the
model axes; a joint rotation in AMASS's ``poses`` is relative to that rest pose. Only the rest joint positions
depend on the model file (and on betas). :data:`APPROX_REST_JOINTS` is a mean adult's rest skeleton in that frame,
rounded to 5 mm and made left-right symmetric, written for zerohsi as approximate proportions; a given subject's
SMPL joints (which depend on betas) differ from it by a few centimetres. That is enough to turn rotations into
joint positions for retargeting by joint fitting (which adapts them to the run's body anyway), not to rebuild a
SMPL mesh; with the user's model files the exact path (the smplx plugin) stays available.
"""

from __future__ import annotations

import numpy as np

from zerohsi.body.joint_maps import SMPL_JOINT_NAMES

#: parent of each of the 24 SMPL joints (the first 22 are shared by SMPL+H and SMPL-X)
SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)
NUM_BODY_JOINTS = 22

_LEFT_AND_CENTRE = {  # metres, model frame (+Y up, +X left, +Z forward); right joints mirror the left ones
    "pelvis": (0.0, -0.225, 0.025),
    "left_hip": (0.07, -0.315, 0.02),
    "spine1": (0.0, -0.11, 0.0),
    "left_knee": (0.105, -0.675, 0.015),
    "spine2": (0.0, 0.02, 0.025),
    "left_ankle": (0.09, -1.1, -0.02),
    "spine3": (0.0, 0.07, 0.03),
    "left_foot": (0.115, -1.16, 0.105),
    "neck": (0.0, 0.29, -0.015),
    "left_collar": (0.08, 0.195, -0.01),
    "head": (0.0, 0.35, 0.045),
    "left_shoulder": (0.175, 0.225, -0.02),
    "left_elbow": (0.435, 0.215, -0.04),
    "left_wrist": (0.69, 0.22, -0.045),
    "left_hand": (0.78, 0.215, -0.06),
}


def _rest_table() -> np.ndarray:
    out = np.zeros((len(SMPL_JOINT_NAMES), 3))
    for j, name in enumerate(SMPL_JOINT_NAMES):
        if name.startswith("right_"):
            x, y, z = _LEFT_AND_CENTRE["left_" + name[len("right_"):]]
            out[j] = (-x, y, z)
        else:
            out[j] = _LEFT_AND_CENTRE[name]
    return out


#: (24,3) approximate rest joint positions of a SMPL-family body, model frame, metres
APPROX_REST_JOINTS: np.ndarray = _rest_table()

#: the model frame (+Y up, +X left, +Z forward) in zerohsi's world (+Z up) for a body facing -Y, as AMASS's Z-up
#: files put it: (x, y, z) -> (x, -z, y)
MODEL_TO_ZUP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def approx_skeleton(rest_joints=None):
    """A :class:`~zerohsi.body.smpl_skeleton.SmplSkeleton` with the approximate rest joints (or a file's own
    (24,3) ``smpl_rest_joints``, as zerohsi's SMPL exports carry) and no shape directions (betas are ignored).
    SMPL+H / SMPL-X rotations are read through its first 22 joints."""
    from zerohsi.body.smpl_skeleton import SmplSkeleton
    from zerohsi.errors import UserError

    rest = APPROX_REST_JOINTS
    if rest_joints is not None:
        rest = np.asarray(rest_joints, dtype=np.float64)
        if rest.shape != (24, 3) or not np.isfinite(rest).all():
            raise UserError(f"The file's smpl_rest_joints has shape {rest.shape}; it must be (24, 3) finite values.")
    return SmplSkeleton("smpl", rest, np.zeros((24, 3, 0)), np.array(SMPL_PARENTS))
