"""The joints of SMPL / SMPL-X results, from the user's model file, without the mesh.

External estimators report SMPL-family parameters. zerohsi only needs their joints to retarget onto the run's body
model, and in SMPL(-X) the posed joints are exactly forward kinematics of the shape-dependent rest joints
(``J_regressor @ (v_template + shapedirs @ betas)``; pose blend shapes do not move them), so a few arrays from the
model file suffice and no vertices are posed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from zerohsi.errors import UserError, first_line
from zerohsi.geometry import axis_angle_to_matrix

_FILE_NAMES = {"smpl": "SMPL", "smplx": "SMPLX"}


def resolve_model_file(model_path: str | os.PathLike, model_type: str, gender: str = "neutral") -> Path:
    """A model file, or a folder laid out as smplx.create expects (``<dir>/<type>/<TYPE>_<GENDER>.npz|pkl``)."""
    path = Path(model_path).expanduser()
    if path.is_file():
        return path
    stem = f"{_FILE_NAMES[model_type]}_{gender.upper()}"
    for folder in (path / model_type, path):
        for ext in (".npz", ".pkl"):
            if (folder / f"{stem}{ext}").is_file():
                return folder / f"{stem}{ext}"
    raise UserError(f"No {model_type.upper()} model file found at {path}; set the adapter's model_path to your "
                    f"{stem}.npz (or a folder holding {model_type}/{stem}.npz), downloaded from the model's site.")


def load_model_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an SMPL-family model file, read without unpickling anything that could run code: an ``.npz``
    with ``allow_pickle=False``, a ``.pkl`` through the restricted unpickler (numpy arrays, containers, scipy sparse
    matrices, the latter made dense). Entries that are not numeric arrays (e.g. chumpy objects) are refused."""
    if path.suffix == ".npz":
        import zipfile

        from zerohsi.io import load_npz

        try:
            data = load_npz(path)
        except ValueError:
            raise UserError(f"{path} holds pickled objects, which zerohsi does not load; use the official model "
                            "npz, which holds numeric arrays only.") from None
        except (OSError, zipfile.BadZipFile) as exc:
            raise UserError(f"{path} is not a readable model npz ({first_line(exc)}); download the model file "
                            "again.") from None
    else:
        from zerohsi.safe_pickle import load_pickle

        # official SMPL pickles were written by Python 2 and may hold chumpy objects, which are refused here
        data = load_pickle(path, allow_sparse=True, encoding="latin1")
    if not isinstance(data, dict):
        raise UserError(f"{path} does not hold a model dictionary; download the model file again.")
    out = {}
    for key, value in data.items():
        arr = np.asarray(value.toarray() if hasattr(value, "toarray") else value)
        if arr.dtype.hasobject:
            raise UserError(f"{path} holds a non-numeric entry '{key}' (chumpy or other objects); convert the model "
                            "file to plain numpy arrays and try again.")
        out[str(key)] = arr
    return out


class SmplSkeleton:
    """Forward kinematics of the SMPL / SMPL-X skeleton.

    rest_joints (J,3) and joint_shape_dirs (J,3,S) metres, model frame; parents (J,) with -1 at the root.
    """

    def __init__(self, model_type: str, rest_joints: np.ndarray, joint_shape_dirs: np.ndarray,
                 parents: np.ndarray) -> None:
        if model_type not in _FILE_NAMES:
            raise ValueError(f"model_type must be smpl or smplx, got {model_type!r}")
        self.model_type = model_type
        self.rest_joints = torch.as_tensor(rest_joints, dtype=torch.float64)
        self.joint_shape_dirs = torch.as_tensor(joint_shape_dirs, dtype=torch.float64)
        self.parents = [int(p) for p in parents]
        need = 24 if model_type == "smpl" else 44
        if len(self.parents) < need:
            raise UserError(f"The {model_type.upper()} model file has {len(self.parents)} joints, fewer than the "
                            f"{need} a {model_type.upper()} model has; check model_type and model_path.")

    @classmethod
    def from_arrays(cls, model_type: str, arrays: dict) -> SmplSkeleton:
        """From a model file's arrays: v_template (V,3), shapedirs (V,3,S), J_regressor (J,V), kintree_table (2,J)."""
        try:
            v = np.asarray(arrays["v_template"], dtype=np.float64)
            dirs = np.asarray(arrays["shapedirs"], dtype=np.float64)
            reg = arrays["J_regressor"]
            kintree = np.asarray(arrays["kintree_table"]).astype(np.int64)
        except KeyError as exc:
            raise UserError(f"The {model_type.upper()} model file lacks the array {exc}; use an official model "
                            "file.") from None
        reg = np.asarray(reg.toarray() if hasattr(reg, "toarray") else reg, dtype=np.float64)
        parents = kintree[0].copy()
        parents[0] = -1
        rest = reg @ v
        jdirs = np.einsum("jv,vcs->jcs", reg, dirs)
        return cls(model_type, rest, jdirs, parents)

    @classmethod
    def from_model_file(cls, model_path: str | os.PathLike, model_type: str, gender: str = "neutral"
                        ) -> SmplSkeleton:
        path = resolve_model_file(model_path, model_type, gender)
        return cls.from_arrays(model_type, load_model_arrays(path))

    @property
    def num_joints(self) -> int:
        return len(self.parents)

    def joints(self, global_orient: torch.Tensor, body_pose: torch.Tensor, betas: Optional[torch.Tensor] = None,
               transl: Optional[torch.Tensor] = None, extra_pose: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(T,J,3) posed joints in the model's frame (metres).

        global_orient (T,3); body_pose (T,21*3) for SMPL-X or (T,23*3) for SMPL, axis-angle; betas (T,S') (S' may
        differ from the file's S: truncated / zero-padded); transl (T,3); extra_pose (T,K,3) the joints after the
        body ones (SMPL-X jaw, eyes, fingers), zero when None.
        """
        go = torch.as_tensor(global_orient, dtype=torch.float64).reshape(-1, 3)
        T = go.shape[0]
        pose = torch.zeros(T, self.num_joints, 3, dtype=torch.float64)
        pose[:, 0] = go
        bp = torch.as_tensor(body_pose, dtype=torch.float64).reshape(T, -1, 3)
        n = min(bp.shape[1], self.num_joints - 1)
        pose[:, 1:1 + n] = bp[:, :n]
        if extra_pose is not None:
            ep = torch.as_tensor(extra_pose, dtype=torch.float64).reshape(T, -1, 3)
            k = min(ep.shape[1], self.num_joints - 1 - n)
            pose[:, 1 + n:1 + n + k] = ep[:, :k]
        rest = self.rest_joints.expand(T, -1, -1).clone()
        if betas is not None:
            b = torch.as_tensor(betas, dtype=torch.float64).reshape(T, -1)
            s = min(b.shape[1], self.joint_shape_dirs.shape[-1])
            rest = rest + torch.einsum("jcs,ts->tjc", self.joint_shape_dirs[..., :s], b[:, :s])
        R = axis_angle_to_matrix(pose)
        world_R: list[torch.Tensor] = []
        world_p: list[torch.Tensor] = []
        for j, p in enumerate(self.parents):
            if p < 0:
                world_R.append(R[:, j])
                world_p.append(rest[:, j])
            else:
                world_R.append(world_R[p] @ R[:, j])
                world_p.append(world_p[p] + (world_R[p] @ (rest[:, j] - rest[:, p])[..., None])[..., 0])
        joints = torch.stack(world_p, 1)
        if transl is not None:
            joints = joints + torch.as_tensor(transl, dtype=torch.float64).reshape(T, 1, 3)
        return joints

    def core_joint_index(self) -> dict[str, int]:
        """CORE_JOINTS name -> joint index of this skeleton (SMPL-X's hand point is the middle-finger base)."""
        from zerohsi.body.joint_maps import SMPL_JOINT_NAMES, SMPL_TO_CORE, SMPLX_JOINT_NAMES, SMPLX_TO_CORE, core_index

        if self.model_type == "smpl":
            return core_index(SMPL_JOINT_NAMES, SMPL_TO_CORE)
        return core_index(SMPLX_JOINT_NAMES, SMPLX_TO_CORE)
