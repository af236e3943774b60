"""Random SMPL-X- and SMPL-shaped model files for tests (the real, licensed files cannot be shipped).

The files have the real layouts (keys, joint counts, vertex counts, kinematic trees) so ``smplx.create`` loads them
and everything downstream runs; the geometry is a crude tube-man in the T-pose (Y-up, facing +Z) with random shape
blend shapes. Other packages' tests reuse these::

    from zerohsi_smplx.testing import write_random_smplx_model
    folder = write_random_smplx_model(tmp_path)  # -> tmp_path, holding smplx/SMPLX_NEUTRAL.npz
    body = get_host().build("body_model", "smplx", {"model_path": str(folder)})
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from zerohsi.body.joint_maps import SMPL_JOINT_NAMES, SMPLX_JOINT_NAMES

SMPLX_NUM_VERTS = 10475  # the real count: smplx selects face/foot/finger-tip keypoints by vertex id
SMPL_NUM_VERTS = 6890

_BODY_REST = {  # T-pose joint positions, metres, Y-up, facing +Z, character's left = +X
    "pelvis": (0.0, 0.0, 0.0), "left_hip": (0.06, -0.09, 0.0), "right_hip": (-0.06, -0.09, 0.0),
    "spine1": (0.0, 0.11, -0.01), "left_knee": (0.10, -0.47, 0.0), "right_knee": (-0.10, -0.47, 0.0),
    "spine2": (0.0, 0.25, 0.0), "left_ankle": (0.09, -0.87, -0.03), "right_ankle": (-0.09, -0.87, -0.03),
    "spine3": (0.0, 0.31, 0.02), "left_foot": (0.11, -0.92, 0.11), "right_foot": (-0.11, -0.92, 0.11),
    "neck": (0.0, 0.52, 0.0), "left_collar": (0.07, 0.43, 0.0), "right_collar": (-0.07, 0.43, 0.0),
    "head": (0.0, 0.61, 0.04), "left_shoulder": (0.17, 0.45, 0.0), "right_shoulder": (-0.17, 0.45, 0.0),
    "left_elbow": (0.43, 0.43, -0.01), "right_elbow": (-0.43, 0.43, -0.01),
    "left_wrist": (0.68, 0.43, 0.0), "right_wrist": (-0.68, 0.43, 0.0),
    "left_hand": (0.77, 0.43, 0.0), "right_hand": (-0.77, 0.43, 0.0),
}
_SMPL_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]
_FINGERS = {"index": 0.03, "middle": 0.0, "pinky": -0.04, "ring": -0.02, "thumb": 0.05}


def _smplx_skeleton() -> tuple[list[str], list[int], np.ndarray]:
    names = list(SMPLX_JOINT_NAMES)
    pos = {n: np.array(_BODY_REST[n]) for n in SMPLX_JOINT_NAMES[:22]}
    pos["jaw"] = np.array([0.0, 0.60, 0.06])
    pos["left_eye_smplhf"] = np.array([0.03, 0.68, 0.09])
    pos["right_eye_smplhf"] = np.array([-0.03, 0.68, 0.09])
    parents = _SMPL_PARENTS[:22] + [15, 15, 15]
    for side, sign, wrist in (("left", 1.0, 20), ("right", -1.0, 21)):
        for finger, dz in _FINGERS.items():
            for k in (1, 2, 3):
                n = f"{side}_{finger}{k}"
                base = 0.06 if finger == "thumb" else 0.09
                pos[n] = np.array([sign * (0.68 + base + 0.025 * (k - 1)), 0.43, dz])
                parents.append(wrist if k == 1 else names.index(f"{side}_{finger}{k - 1}"))
    return names, parents, np.stack([pos[n] for n in names])


def _smpl_skeleton() -> tuple[list[str], list[int], np.ndarray]:
    names = list(SMPL_JOINT_NAMES)
    return names, list(_SMPL_PARENTS), np.stack([np.array(_BODY_REST[n]) for n in names])


def _tube_mesh(parents: list[int], joints: np.ndarray, num_verts: int, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (V,3), faces (F,3), skinning weights (V,J): one vertex at each joint, a tube along each bone."""
    J = len(parents)
    verts = [joints[j] for j in range(J)]
    weights = [np.eye(J)[j] for j in range(J)]
    faces = []
    rings, seg = 4, 8
    for j in range(1, J):
        p = parents[j]
        a, b = joints[p], joints[j]
        axis = b - a
        length = np.linalg.norm(axis)
        if length < 1e-6:
            continue
        axis = axis / length
        helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        u = np.cross(axis, helper)
        u /= np.linalg.norm(u)
        w = np.cross(axis, u)
        radius = 0.012 if length < 0.05 else 0.045
        start = len(verts)
        for r in range(rings):
            f = (r + 0.5) / rings
            centre = a + f * (b - a)
            for s in range(seg):
                ang = 2 * np.pi * s / seg
                verts.append(centre + radius * (np.cos(ang) * u + np.sin(ang) * w))
                wt = np.zeros(J)
                wt[p], wt[j] = 1.0 - 0.3 * f, 0.3 * f  # blend toward the child joint near its end
                weights.append(wt)
        for r in range(rings - 1):
            for s in range(seg):
                i0 = start + r * seg + s
                i1 = start + r * seg + (s + 1) % seg
                i2, i3 = i0 + seg, i1 + seg
                faces += [(i0, i1, i2), (i1, i3, i2)]
    n = len(verts)
    if n > num_verts:
        raise ValueError("skeleton too large for the vertex budget")
    # pad to the real vertex count with unreferenced points around the pelvis (skinned to it)
    pad = joints[0] + 0.05 * rng.standard_normal((num_verts - n, 3))
    verts = np.concatenate([np.stack(verts), pad])
    weights = np.concatenate([np.stack(weights), np.tile(np.eye(J)[0], (num_verts - n, 1))])
    return verts, np.asarray(faces, dtype=np.int64), weights


def _arrays(names, parents, joints, num_verts, num_shape, seed):
    rng = np.random.default_rng(seed)
    J = len(names)
    v, f, w = _tube_mesh(parents, joints, num_verts, rng)
    jreg = np.zeros((J, num_verts))
    jreg[np.arange(J), np.arange(J)] = 1.0
    shapedirs = np.zeros((num_verts, 3, num_shape), dtype=np.float32)
    shapedirs[:, :, :10] = 0.01 * rng.standard_normal((num_verts, 3, 10))
    kintree = np.array([[4294967295] + parents[1:], list(range(J))], dtype=np.int64)
    return {"v_template": v.astype(np.float32), "f": f, "J_regressor": jreg.astype(np.float32),
            "weights": w.astype(np.float32), "kintree_table": kintree, "shapedirs": shapedirs,
            "posedirs": np.zeros((num_verts, 3, (J - 1) * 9), dtype=np.float32)}


def write_random_smplx_model(folder: str | os.PathLike, gender: str = "neutral", seed: int = 0) -> Path:
    """Write ``folder/smplx/SMPLX_<GENDER>.npz`` (55 joints, 10,475 vertices) and return ``folder``."""
    folder = Path(folder)
    names, parents, joints = _smplx_skeleton()
    data = _arrays(names, parents, joints, SMPLX_NUM_VERTS, 400, seed)
    rng = np.random.default_rng(seed + 1)
    faces = data["f"]
    data.update(hands_componentsl=np.eye(45, dtype=np.float32), hands_componentsr=np.eye(45, dtype=np.float32),
                hands_meanl=np.zeros(45, dtype=np.float32), hands_meanr=np.zeros(45, dtype=np.float32),
                lmk_faces_idx=rng.integers(0, len(faces), 51).astype(np.int64),
                lmk_bary_coords=np.full((51, 3), 1 / 3, dtype=np.float32))
    out = folder / "smplx"
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / f"SMPLX_{gender.upper()}.npz", **data)
    return folder


def write_random_smpl_model(folder: str | os.PathLike, gender: str = "neutral", seed: int = 0) -> Path:
    """Write ``folder/smpl/SMPL_<GENDER>.pkl`` (24 joints, 6,890 vertices; SMPL ships pickles) and return ``folder``.
    The pickle holds plain numpy arrays only."""
    folder = Path(folder)
    names, parents, joints = _smpl_skeleton()
    data = _arrays(names, parents, joints, SMPL_NUM_VERTS, 10, seed)
    out = folder / "smpl"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"SMPL_{gender.upper()}.pkl", "wb") as f:
        pickle.dump(data, f)
    return folder
