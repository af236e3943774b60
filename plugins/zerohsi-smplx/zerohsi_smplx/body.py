"""The ``smplx`` body backend: SMPL-X (or SMPL / SMPL+H) through the ``smplx`` package, in zerohsi's world frame.

Frames: SMPL-family models are Y-up, facing +Z. zerohsi's body frame is +Z up, facing -Y, left +X: the two are
related by C (x, y, z) -> (x, -z, y). ``BodyParams`` for this backend:

- ``transl`` (B,3): world position of the pelvis joint (not SMPL's ``transl``; see :func:`from_native`);
- ``global_orient`` (B,3): world axis-angle of the body (zero: standing upright facing -Y);
- ``body_pose`` (B,21*3) SMPL-X / SMPL+H body joints or (B,23*3) SMPL, SMPL's own axis-angles (its joints' rest
  frames are axis-aligned, so they are the same in either frame up to C, which body_pose is expressed in);
- ``shape`` (B,num_betas) betas.
Hands (flat), jaw, eyes and expression stay at zero.

Model files are never unpickled by the smplx package (which would run any code a poisoned ``.pkl`` names): a ``.pkl``
is read through zerohsi's restricted unpickler (numpy arrays, containers and scipy sparse matrices only) and handed to
smplx as plain arrays; an ``.npz`` is checked to hold no pickled object arrays before smplx opens it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from zerohsi.body.joint_maps import SMPL_JOINT_NAMES, SMPL_TO_CORE, SMPLX_JOINT_NAMES, SMPLX_TO_CORE, core_index
from zerohsi.body.params import BodyOutput, BodyParams
from zerohsi.errors import UserError
from zerohsi.geometry import axis_angle_to_matrix, make_transform, matrix_to_axis_angle
from zerohsi_smplx.config import _FILE, DOWNLOAD, SmplxConfig, resolve_model_file

#: native (Y-up, facing +Z) -> zerohsi (Z-up, facing -Y)
C_NATIVE_TO_WORLD = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
SOLE_HEIGHT_M = 0.015


def create_model(path: Path, model_type: str, **kwargs):
    """``smplx.SMPL`` / ``SMPLH`` / ``SMPLX`` from the file's arrays as read by
    :func:`zerohsi.body.smpl_skeleton.load_model_arrays`, so smplx never unpickles the file itself. SMPL and
    SMPL+H take the arrays directly; SMPL-X only opens files, so it gets a plain-array npz: the file itself (already
    checked to hold no object arrays) or a copy of a ``.pkl``'s arrays in the zerohsi cache, keyed by content hash."""
    import smplx
    from smplx.utils import Struct

    from zerohsi.body.smpl_skeleton import load_model_arrays

    arrays = load_model_arrays(path)
    if model_type != "smplx":
        cls = smplx.SMPL if model_type == "smpl" else smplx.SMPLH
        return cls(str(path), data_struct=Struct(**arrays), **kwargs)
    npz = path
    if path.suffix != ".npz":
        from zerohsi.video.cache import default_cache_dir

        npz = default_cache_dir() / "smplx" / f"{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}.npz"
        if not npz.is_file():
            npz.parent.mkdir(parents=True, exist_ok=True)
            tmp = npz.with_name(f".{npz.stem}.{os.getpid()}.npz")
            np.savez(tmp, **arrays)
            os.replace(tmp, npz)
    return smplx.SMPLX(str(npz), ext="npz", **kwargs)


class SmplxBody(torch.nn.Module):
    """SMPL-X / SMPL / SMPL+H as a zerohsi ``BodyModel``."""

    name = "smplx"

    def __init__(self, cfg: Optional[SmplxConfig] = None) -> None:
        super().__init__()
        cfg = cfg or SmplxConfig()
        self.cfg = cfg
        path, _ = resolve_model_file(cfg)
        mt = cfg.model_type.lower()
        kwargs = dict(gender=cfg.gender, num_betas=cfg.num_betas, batch_size=1)
        if mt in ("smplx", "smplh"):
            kwargs.update(use_pca=False, flat_hand_mean=True)
        try:
            self.model = create_model(path, mt, **kwargs)
        except (AssertionError, KeyError, ValueError, OSError, EOFError, AttributeError, TypeError) as exc:
            raise UserError(f"'{path}' is not a usable {_FILE[mt]} model file ({type(exc).__name__}: {exc}); "
                            f"download it again from {DOWNLOAD[mt]}.") from None
        self.model_type = mt
        self.num_body_joints = 23 if mt == "smpl" else 21
        self.shape_dim = int(cfg.num_betas)
        J = int(self.model.parents.shape[0])
        if mt == "smpl":
            names, core = list(SMPL_JOINT_NAMES), SMPL_TO_CORE
        else:
            names, core = list(SMPLX_JOINT_NAMES[:22]) + list(SMPLX_JOINT_NAMES[25:]), SMPLX_TO_CORE
            if mt == "smplx":
                names = list(SMPLX_JOINT_NAMES)
        self.joint_names = names[:J]
        self._core = core_index(self.joint_names, core)
        self.register_buffer("parents", self.model.parents.clone().long(), persistent=False)
        self.register_buffer("faces", self.model.faces_tensor.clone().long(), persistent=False)
        self.register_buffer("C", C_NATIVE_TO_WORLD.clone(), persistent=False)
        self._vertex_sets: Optional[dict[str, torch.Tensor]] = None

    @property
    def dtype(self) -> torch.dtype:
        return self.model.v_template.dtype

    @property
    def device(self) -> torch.device:
        return self.model.v_template.device

    @property
    def skinning_weights(self) -> torch.Tensor:
        return self.model.lbs_weights

    def rest_params(self, batch: int = 1) -> BodyParams:
        z = lambda n: torch.zeros(batch, n, device=self.device, dtype=self.dtype)  # noqa: E731
        return BodyParams(z(3), z(3), z(self.num_body_joints * 3), z(self.shape_dim))

    def core_joint_index(self) -> dict[str, int]:
        return dict(self._core)

    def vertex_sets(self) -> dict[str, torch.Tensor]:
        """'left_hand'/'right_hand' (skinned mostly to the wrist subtree) and 'left_sole'/'right_sole'."""
        if self._vertex_sets is None:
            with torch.no_grad():
                v = self.forward(self.rest_params(1)).vertices[0].cpu()
            dominant = self.skinning_weights.argmax(1).cpu()
            parents = self.parents.tolist()

            def subtree(root: int) -> torch.Tensor:
                out = [j for j in range(len(parents)) if _descends(parents, j, root)]
                return torch.tensor(out)

            sets = {}
            for side in ("left", "right"):
                sets[f"{side}_hand"] = torch.nonzero(torch.isin(dominant, subtree(self._core[f"{side}_wrist"])))[:, 0]
                foot = torch.nonzero(torch.isin(dominant, subtree(self._core[f"{side}_ankle"])))[:, 0]
                sets[f"{side}_sole"] = foot[v[foot, 2] <= v[foot, 2].min() + SOLE_HEIGHT_M]
            self._vertex_sets = sets
        return {k: t.to(self.device) for k, t in self._vertex_sets.items()}

    def native(self, betas: torch.Tensor, global_orient: torch.Tensor, body_pose: torch.Tensor,
               transl: torch.Tensor):
        """The smplx model's own output (native Y-up frame, SMPL ``transl``) with hands, face and expression at
        zero; batched over the first dimension."""
        B = betas.shape[0]
        zeros = lambda n: torch.zeros(B, n, device=self.device, dtype=self.dtype)  # noqa: E731
        kw = dict(betas=betas.to(self.dtype), global_orient=global_orient.to(self.dtype),
                  body_pose=body_pose.to(self.dtype), transl=transl.to(self.dtype), return_full_pose=True)
        if self.model_type in ("smplx", "smplh"):
            kw.update(left_hand_pose=zeros(45), right_hand_pose=zeros(45))
        if self.model_type == "smplx":
            kw.update(jaw_pose=zeros(3), leye_pose=zeros(3), reye_pose=zeros(3),
                      expression=zeros(self.model.num_expression_coeffs))
        return self.model(**kw)

    def forward_kinematics(self, params: BodyParams) -> tuple[torch.Tensor, torch.Tensor]:
        """Joints (B,J,3) and joint frames (B,J,4,4) in the world without skinning the mesh (joint-only fitting).
        Hands, jaw and eyes at zero, as in :meth:`forward`."""
        m, dt, B = self.model, self.dtype, len(params)
        if not hasattr(self, "_j_template"):
            # the joint regressor applied to the template and to each shape direction, once
            self._j_template = m.J_regressor @ m.v_template
            self._j_dirs = torch.einsum("jv,vcs->jcs", m.J_regressor, m.shapedirs)
        rest = self._j_template[None] + torch.einsum("jcs,bs->bjc", self._j_dirs, params.shape.to(dt))
        C = self.C.to(dt)
        J = self.parents.shape[0]
        local = torch.eye(3, dtype=dt, device=self.device).repeat(B, J, 1, 1)
        R_world = axis_angle_to_matrix(params.global_orient.to(dt))
        body = axis_angle_to_matrix(params.body_pose.to(dt).reshape(B, -1, 3))
        local = torch.cat([(C.T @ R_world @ C)[:, None], body, local[:, 1 + body.shape[1]:]], 1)
        G, P = [local[:, 0]], [rest[:, 0]]
        for j in range(1, J):
            p = int(self.parents[j])
            G.append(G[p] @ local[:, j])
            P.append(P[p] + (G[p] @ (rest[:, j] - rest[:, p])[..., None])[..., 0])
        joints_n = torch.stack(P, 1)
        joints = (joints_n - joints_n[:, :1]) @ C.T + params.transl[:, None].to(dt)
        G_world = C @ torch.stack(G, 1) @ C.T
        return joints, make_transform(G_world, joints)

    def forward(self, params: BodyParams) -> BodyOutput:
        """vertices (B,V,3), joints (B,J,3) and joint frames (B,J,4,4) (identity rotation at rest), world metres."""
        B = len(params)
        C = self.C.to(self.dtype)
        R_world = axis_angle_to_matrix(params.global_orient.to(self.dtype))
        R_native = C.T @ R_world @ C
        go_native = matrix_to_axis_angle(R_native)
        out = self.native(params.shape, go_native, params.body_pose, torch.zeros_like(params.transl))
        J = self.parents.shape[0]
        joints_n = out.joints[:, :J]
        root = joints_n[:, :1]
        to_world = lambda x: (x - root) @ C.T + params.transl[:, None].to(self.dtype)  # noqa: E731
        verts, joints = to_world(out.vertices), to_world(joints_n)
        # posed joint frames: world rotation of each joint = C G_native C^T (identity at rest)
        local = axis_angle_to_matrix(out.full_pose.reshape(B, -1, 3))
        G = [local[:, 0]]
        for j in range(1, J):
            G.append(G[int(self.parents[j])] @ local[:, j])
        G_world = C @ torch.stack(G, 1) @ C.T
        return BodyOutput(vertices=verts, joints=joints, joint_transforms=make_transform(G_world, joints))


def _descends(parents: list[int], j: int, root: int) -> bool:
    while j >= 0:
        if j == root:
            return True
        j = parents[j]
    return False


def from_native(body: SmplxBody, global_orient: torch.Tensor, body_pose: torch.Tensor, betas: torch.Tensor,
                transl: torch.Tensor, *, up: str = "y") -> BodyParams:
    """BodyParams from SMPL-family parameters as the model itself takes them (SMPL's ``transl`` convention).

    ``up``: "y" when the parameters live in a Y-up world (SMPL's native frame: most estimators, GVHMR, TRUMANS,
    LINGO) or "z" for a Z-up world (AMASS, CHOIS). Shapes: (T,3), (T,J*3), (T,S), (T,3).
    """
    dt = body.dtype
    go = axis_angle_to_matrix(global_orient.to(dt))
    with torch.no_grad():
        # pelvis of the rest shape, native frame
        j0 = body.native(betas, torch.zeros_like(global_orient), torch.zeros_like(body_pose),
                         torch.zeros_like(transl)).joints[:, 0]
    C = body.C.to(dt)
    if up == "y":
        # native world -> zerohsi: everything is premultiplied by C
        R_world = C @ go @ C.T
        pelvis = (j0 + transl.to(dt)) @ C.T
    elif up == "z":
        # the world is already Z-up; the model's native body is still Y-up inside it
        R_world = go @ C.T
        pelvis = j0 + transl.to(dt)
    else:
        raise UserError(f"Unknown up axis '{up}'; use 'y' or 'z'.")
    return BodyParams(pelvis, matrix_to_axis_angle(R_world), body_pose.to(dt), betas.to(dt))
