"""Test fixtures for the SMPL-family adapters: small stand-in model files with a human-like skeleton.

The files have the official model files' array names and layouts (``v_template``, ``shapedirs``, ``J_regressor``,
``kintree_table``, ``f``) but few vertices and made-up shape directions: enough for joints, never a real body.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zerohsi.io import atomic_savez

#: approximate SMPL rest joints (metres, the model's y-up frame, +x is the body's left)
_BODY_REST = np.array([
    [0.0, 0.0, 0.0], [0.06, -0.09, 0.0], [-0.06, -0.09, 0.0], [0.0, 0.11, -0.01], [0.10, -0.47, 0.0],
    [-0.10, -0.47, 0.0], [0.0, 0.24, 0.0], [0.09, -0.87, -0.04], [-0.09, -0.87, -0.04], [0.0, 0.30, 0.02],
    [0.11, -0.93, 0.08], [-0.11, -0.93, 0.08], [0.0, 0.51, -0.02], [0.07, 0.42, 0.0], [-0.07, 0.42, 0.0],
    [0.0, 0.60, 0.03], [0.17, 0.45, -0.02], [-0.17, 0.45, -0.02], [0.43, 0.43, -0.04], [-0.43, 0.43, -0.04],
    [0.68, 0.44, -0.04], [-0.68, 0.44, -0.04],
])
_BODY_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]


def _skeleton(model_type: str) -> tuple[np.ndarray, list[int]]:
    rest, parents = [*_BODY_REST], list(_BODY_PARENTS)
    if model_type == "smpl":
        rest += [[0.77, 0.43, -0.05], [-0.77, 0.43, -0.05]]
        parents += [20, 21]
        return np.array(rest), parents
    rest += [[0.0, 0.55, 0.06], [0.03, 0.65, 0.08], [-0.03, 0.65, 0.08]]  # jaw, eyes
    parents += [15, 15, 15]
    for side, wrist in ((1.0, 20), (-1.0, 21)):
        base = len(rest)
        for finger in range(5):  # index, middle, pinky, ring, thumb; three joints each
            for k in range(3):
                rest.append([side * (0.75 + 0.03 * k), 0.44, -0.05 + 0.015 * (finger - 2)])
                parents.append(wrist if k == 0 else base + 3 * finger + k - 1)
    return np.array(rest), parents


def write_smpl_family_model(path: str | os.PathLike, model_type: str = "smplx", *, extra_vertices: int = 32,
                            num_betas: int = 10, seed: int = 0) -> Path:
    """Write a stand-in SMPL (24 joints) or SMPL-X (55 joints) model npz; returns its path.

    The first J vertices sit on the rest joints and J_regressor picks them, so the rest joints are known exactly;
    shapedirs move them by up to a few centimetres per unit beta.
    """
    rng = np.random.default_rng(seed)
    joints, parents = _skeleton(model_type)
    J = len(joints)
    v = np.concatenate([joints, joints[rng.integers(0, J, extra_vertices)] + rng.normal(0, 0.05, (extra_vertices, 3))])
    reg = np.zeros((J, len(v)))
    reg[np.arange(J), np.arange(J)] = 1.0
    kintree = np.array([[p if p >= 0 else 4294967295 for p in parents], list(range(J))], dtype=np.int64)
    faces = rng.integers(0, len(v), (2 * len(v), 3)).astype(np.int64)
    path = Path(path)
    atomic_savez(path, v_template=v, shapedirs=rng.normal(0, 0.01, (len(v), 3, num_betas)), J_regressor=reg,
                 kintree_table=kintree, f=faces, weights=np.eye(J)[rng.integers(0, J, len(v))])
    return path


def moving_cameras(num_frames: int, width: int, height: int, *, focal: float | None = None, seed: int = 0):
    """A camera orbiting slowly around a person standing at the world origin (+Z up): list of Camera."""
    import math

    from zerohsi.cameras import Camera

    rng = np.random.default_rng(seed)
    cams = []
    for t in range(num_frames):
        a = 0.3 + 0.05 * t
        eye = (3.0 * math.cos(a), 3.0 * math.sin(a), 1.4 + 0.02 * rng.standard_normal())
        cams.append(Camera.look_at(eye, (0.0, 0.0, 0.9), width=width, height=height, fov_deg=55.0, focal=focal))
    return cams


def random_smpl_motion(num_frames: int, model_type: str = "smplx", *, seed: int = 0) -> dict[str, np.ndarray]:
    """Smooth random SMPL-family parameters in a y-up world: global_orient (T,3), body_pose (T,63|69), betas (T,10),
    transl (T,3) — a person standing upright (pelvis about 0.9 m up) and walking slowly along x."""
    rng = np.random.default_rng(seed)
    P = 63 if model_type == "smplx" else 69
    base = rng.normal(0, 0.15, P)
    drift = rng.normal(0, 0.05, P)
    t = np.arange(num_frames)[:, None]
    return {
        "global_orient": np.tile([0.0, 0.4, 0.0], (num_frames, 1)) + 0.05 * np.sin(t * np.array([[0.3, 0.5, 0.2]])),
        "body_pose": base + drift * np.sin(0.7 * t),
        "betas": np.tile(rng.normal(0, 1, 10), (num_frames, 1)),
        "transl": np.concatenate([0.1 * t, 0.9 + 0.01 * np.sin(t), 0.02 * t], 1),
    }


def transform_params(skeleton, global_orient: np.ndarray, transl: np.ndarray, betas: np.ndarray, R: np.ndarray,
                     t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SMPL-family (global_orient (T,3), transl (T,3)) after moving the whole body by x -> R x + t.

    Joints are R_root (rest - rest_0) + rest_0 + transl, so the root rotation becomes R R_root and the translation
    R (rest_0 + transl) + t - rest_0, with rest_0 the shape-dependent pelvis rest position.
    """
    import torch

    from zerohsi.geometry import axis_angle_to_matrix, matrix_to_axis_angle

    rest0 = skeleton.joints(torch.zeros(len(transl), 3), torch.zeros(len(transl), 3),
                            torch.as_tensor(betas))[:, 0].numpy()
    Rt = torch.as_tensor(R, dtype=torch.float64)
    orient = matrix_to_axis_angle(Rt @ axis_angle_to_matrix(torch.as_tensor(global_orient, dtype=torch.float64)))
    new_t = (rest0 + transl) @ np.asarray(R).T + np.asarray(t) - rest0
    return orient.numpy(), new_t


def world_scenario(num_frames: int, model_type: str, model_file: str | os.PathLike, *, width: int = 64,
                   height: int = 48, seed: int = 0) -> dict:
    """A person moving in a tool's y-up world, seen by moving cameras in ours; everything an adapter test needs.

    Returns: skeleton; motion (the tool-world parameters, see random_smpl_motion); camera (per-frame parameters in
    each camera: global_orient, transl); cameras (list of Camera with the uncalibrated default focal
    sqrt(W^2 + H^2)); R, t (our world = R x + t of the tool's); joints_world (T,J,3) ground truth in our world.
    """
    import math

    import torch

    from zerohsi.body.smpl_skeleton import SmplSkeleton
    from zerohsi.poseinit.retarget import YUP_TO_ZUP

    skel = SmplSkeleton.from_model_file(model_file, model_type)
    motion = random_smpl_motion(num_frames, model_type, seed=seed)
    yaw = 0.7
    Rz = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
    R = Rz @ YUP_TO_ZUP.numpy()
    t = np.array([0.3, -0.2, 0.0])
    cams = moving_cameras(num_frames, width, height, focal=math.sqrt(width ** 2 + height ** 2), seed=seed)
    orient_c, transl_c = [], []
    for i, cam in enumerate(cams):
        w2c = cam.world_to_cam.double().numpy()
        o, tr = transform_params(skel, motion["global_orient"][i:i + 1], motion["transl"][i:i + 1],
                                 motion["betas"][i:i + 1], w2c[:3, :3] @ R, w2c[:3, :3] @ t + w2c[:3, 3])
        orient_c.append(o[0])
        transl_c.append(tr[0])
    jg = skel.joints(*(torch.as_tensor(motion[k]) for k in ("global_orient", "body_pose", "betas", "transl")))
    return {"skeleton": skel, "motion": motion, "cameras": cams, "R": R, "t": t,
            "camera": {"global_orient": np.array(orient_c), "transl": np.array(transl_c)},
            "joints_world": jg.numpy() @ R.T + t}
