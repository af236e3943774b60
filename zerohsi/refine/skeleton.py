"""A cheap, differentiable stand-in for a body model's forward pass: joints by forward kinematics, a few vertices by
linear blend skinning.

Refinement evaluates the body 1000 times on a whole clip; a full mesh forward (anny: 13,718 vertices, 104 bones)
costs ~150 ms per call with autograd, so the refiners never call it in their loop. Instead :class:`FastBody`

1. runs the real body model once in its rest pose (per clip shape) to read the rest bone frames, joint positions
   and the rest positions of the few vertices the losses need (hands, soles, a subsample of the surface);
2. poses them with its own forward kinematics, processing the kinematic tree level by level (one batched matmul per
   tree depth instead of one per bone), and skins the selected vertices with the model's own skinning weights;
3. works only on the bones that matter: the joints asked for, the bones skinning the selected vertices, and their
   ancestors (for anny's 104 bones and the core joints that is about a quarter of the tree: fingers and face bones
   are skipped unless hand vertices are selected);
4. checks itself once against the real model on a random pose; if it does not reproduce the model (an unusual
   backend convention), it falls back to calling the model's forward, which is exact but slow, and says so.

The kinematic conventions are discovered rather than assumed (so the same code serves anny, SMPL-X and any plugin
backend): ``joint_transforms`` may be posed bone frames or skinning transforms (identity at rest); the global
orientation may rotate about the world origin, about the root joint, or in the root bone's frame (the one that
reproduces the model is kept); and the axes each body joint's axis-angle is expressed in (its bone frame for some
rigs, the world at rest for anny's local-ref, SMPL's native Y-up axes for SMPL-X) are measured by posing every joint
about each axis once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from zerohsi.body.params import BodyModel, BodyParams
from zerohsi.geometry import axis_angle_to_matrix, matrix_to_axis_angle

log = logging.getLogger(__name__)

#: disagreement (metres) with the real body model under which the fast path is trusted: largest joint error,
#: mean and largest vertex error (anny's own skinning kernel differs from plain LBS by ~0.1 mm on average, a few
#: mm on a handful of vertices at extreme poses)
SELF_CHECK_JOINT_TOL_M = 2e-3
SELF_CHECK_VERTEX_MEAN_TOL_M = 1e-3
SELF_CHECK_VERTEX_MAX_TOL_M = 1e-2

_ROOT_MODES = ("origin", "root_joint", "bone")


@dataclass
class FastPose:
    """Output of :meth:`FastBody.forward` for T frames (world metres).

    joints (T,A,3); rotations (T,A,3,3) and origins (T,A,3): posed bone frames of the A active joints (order of
    ``FastBody.active``; ``FastBody.compact(model_indices)`` maps model joint indices to it); vertices (T,N,3) of
    the selected vertex subset (order of ``FastBody.vertex_ids``).
    """

    joints: torch.Tensor
    rotations: torch.Tensor
    origins: torch.Tensor
    vertices: torch.Tensor


class FastBody:
    """Forward kinematics + subset skinning equivalent to ``model(params)`` for a fixed body shape.

    model: any :class:`~zerohsi.body.params.BodyModel`; shape (S,) or (1,S) the clip's shape parameters (refinement
    keeps shape fixed); vertex_ids (N,) long, vertices to skin (may be empty); joint_ids: model joints whose
    positions / frames are needed (default: all).
    """

    def __init__(self, model: BodyModel, shape: torch.Tensor, vertex_ids: torch.Tensor | None = None,
                 joint_ids: torch.Tensor | None = None, self_check: bool = True) -> None:
        self.model = model
        self.shape = shape.detach().reshape(1, -1)
        self.vertex_ids = (torch.zeros(0, dtype=torch.long) if vertex_ids is None
                           else torch.as_tensor(vertex_ids, dtype=torch.long).reshape(-1))
        parents = [int(p) for p in torch.as_tensor(model.parents).tolist()]
        self.num_joints = len(parents)
        W = torch.as_tensor(model.skinning_weights).detach().float().cpu()
        W = (W.to_dense() if W.is_sparse else W)[self.vertex_ids]
        needed = set(range(self.num_joints)) if joint_ids is None else {int(j) for j in joint_ids}
        needed |= {int(j) for j in torch.nonzero(W.sum(0) > 0)[:, 0]}
        for j in list(needed):
            while parents[j] >= 0 and parents[j] not in needed:
                j = parents[j]
                needed.add(j)
        self._build_levels(parents, sorted(needed))
        with torch.no_grad():
            rest = model.rest_params(1)
            rest = rest.replace(shape=self.shape.to(rest.shape))
            self._model_device, self._model_dtype = rest.transl.device, rest.transl.dtype
            out = model(rest)
        G = out.joint_transforms[0].detach().float().cpu()
        joints = out.joints[0].detach().float().cpu()
        eye = torch.eye(3, dtype=G.dtype)
        relative = bool((G[:, :3, :3] - eye).abs().max() < 1e-5 and G[:, :3, 3].abs().max() < 1e-6)
        if relative:
            # skinning transforms: identity at rest; the bone frames are then world-aligned frames at the joints
            G = torch.eye(4, dtype=G.dtype).repeat(self.num_joints, 1, 1)
            G[:, :3, 3] = joints
        self._relative = relative
        self.dtype = G.dtype
        self.rest_R = G[:, :3, :3].contiguous()  # (J,3,3) rest bone frames in the world
        self.rest_t = G[:, :3, 3].contiguous()  # (J,3)
        parent_idx = torch.tensor([max(p, 0) for p in parents])
        Rp, tp = self.rest_R[parent_idx], self.rest_t[parent_idx]
        # bone frame relative to its parent's at rest: L_j = G_p^-1 G_j (root: its rest frame in the world)
        non_root = torch.tensor([j for j in range(self.num_joints) if j != self.root], dtype=torch.long)
        self._rest_R_body = self.rest_R[non_root[self._body_slots]]
        self.L_R = Rp.transpose(-1, -2) @ self.rest_R
        self.L_t = (Rp.transpose(-1, -2) @ (self.rest_t - tp)[..., None])[..., 0]
        self.L_R[self.root] = self.rest_R[self.root]
        self.L_t[self.root] = self.rest_t[self.root]
        # joint points and selected vertices, each expressed in the bone frame that carries it at rest
        self.joint_local = (self.rest_R.transpose(-1, -2) @ (joints - self.rest_t)[..., None])[..., 0]
        verts = out.vertices[0].detach().float().cpu()[self.vertex_ids]
        # dense (N,A): for a few hundred vertices a dense blend beats gathering each vertex's few bones on CPU
        self.weights = W[:, self.active]
        self.rest_vertices = verts
        self.root_mode = "origin"
        #: (P,3,3) maps each posed joint's axis-angle into its bone frame (P = body-pose rows FastBody reads)
        self.pose_axes = self._rest_R_body.transpose(-1, -2).clone()
        self.exact = False
        if self_check:
            self._self_check()

    # -- kinematic tree ----------------------------------------------------------------------------------------
    def _build_levels(self, parents: list[int], active: list[int]) -> None:
        roots = [j for j, p in enumerate(parents) if p < 0]
        if len(roots) != 1:
            raise ValueError(f"body model has {len(roots)} root joints; FastBody needs exactly one")
        self.root = roots[0]
        #: (A,) model indices of the joints FastBody poses, in its output order
        self.active = torch.tensor(active, dtype=torch.long)
        self._compact = torch.full((len(parents),), -1, dtype=torch.long)
        self._compact[self.active] = torch.arange(len(active))
        depth = {}
        for j in active:
            d, q = 0, parents[j]
            while q >= 0:
                d, q = d + 1, parents[q]
            depth[j] = d
        self.levels: list[torch.Tensor] = []
        self.level_parent_pos: list[torch.Tensor] = []
        pos_in_level: dict[int, int] = {}
        for d in range(max(depth.values()) + 1):
            members = [j for j in active if depth[j] == d]
            for i, j in enumerate(members):
                pos_in_level[j] = i
            self.levels.append(torch.tensor(members, dtype=torch.long))
            self.level_parent_pos.append(torch.tensor([pos_in_level.get(parents[j], 0) for j in members]))
        order = self._compact[torch.cat(self.levels)]
        self.inverse_order = torch.empty_like(order)
        self.inverse_order[order] = torch.arange(order.numel())
        #: index of the body-pose entry (row of body_pose viewed as (J-1,3)) that drives each non-root joint
        non_root = [j for j in range(len(parents)) if j != self.root]
        self.pose_slot = {j: i for i, j in enumerate(non_root)}
        # only the active joints' body-pose rows are converted to matrices; level_slots index into those rows
        slots = sorted({self.pose_slot[j] for j in active if j != self.root})
        self._body_slots = torch.tensor(slots, dtype=torch.long)
        row = {s: i for i, s in enumerate(slots)}
        self.level_slots = [torch.tensor([row.get(self.pose_slot.get(int(j), -1), 0) for j in lv], dtype=torch.long)
                            for lv in self.levels]

    def compact(self, model_idx) -> torch.Tensor:
        """Model joint indices -> indices into this FastBody's outputs (each must be active)."""
        out = self._compact[torch.as_tensor(model_idx, dtype=torch.long)]
        if bool((out < 0).any()):
            raise ValueError("joint not among the FastBody's active joints")
        return out

    # -- forward -----------------------------------------------------------------------------------------------
    def forward(self, transl: torch.Tensor, global_orient: torch.Tensor, body_pose: torch.Tensor) -> FastPose:
        """transl (T,3), global_orient (T,3), body_pose (T,(J-1)*3) axis-angle -> :class:`FastPose`."""
        if self.exact:
            return self._model_forward(transl, global_orient, body_pose)
        T = transl.shape[0]
        dev, dt = transl.device, transl.dtype
        L_R, L_t = self.L_R.to(dev, dt), self.L_t.to(dev, dt)
        aa = body_pose.reshape(T, -1, 3)
        if aa.shape[1] < self.num_joints - 1:
            # backends may pose only their first joints (SMPL-X: 21 body joints; hands, jaw and eyes stay at rest)
            aa = torch.cat([aa, aa.new_zeros(T, self.num_joints - 1 - aa.shape[1], 3)], 1)
        aa = aa.index_select(1, self._body_slots.to(dev))
        # K^T R(aa) K = R(K^T aa): a change of axes rotates the axis-angle vector, no matrix conjugation needed
        aa = (self.pose_axes.to(dev, dt) @ aa[..., None])[..., 0]
        pose_R = axis_angle_to_matrix(aa)  # (T,active non-root joints,3,3)
        Ro = axis_angle_to_matrix(global_orient)  # (T,3,3)
        r = self.root
        if self.root_mode == "bone":
            R0 = L_R[r] @ Ro
            t0 = L_t[r].expand(T, 3) + transl
        else:
            pivot = L_t[r] if self.root_mode == "root_joint" else torch.zeros(3, dtype=dt, device=dev)
            R0 = Ro @ L_R[r]
            t0 = (Ro @ (L_t[r] - pivot)) + pivot + transl
        Rs, ts = [R0[:, None]], [t0[:, None]]
        for lv in range(1, len(self.levels)):
            idx = self.levels[lv].to(dev)
            pp = self.level_parent_pos[lv].to(dev)
            Rp, tp = Rs[-1][:, pp], ts[-1][:, pp]
            local = L_R[idx] @ pose_R[:, self.level_slots[lv].to(dev)]
            Rs.append(Rp @ local)
            ts.append((Rp @ L_t[idx][..., None])[..., 0] + tp)
        # index_select: its backward (index_add) is much cheaper on CPU than advanced indexing's (index_put)
        inv = self.inverse_order.to(dev)
        R = torch.cat(Rs, 1).index_select(1, inv)
        t = torch.cat(ts, 1).index_select(1, inv)
        joints = (R @ self.joint_local.to(dev, dt)[self.active][..., None])[..., 0] + t
        verts = self._skin(R, t)
        return FastPose(joints=joints, rotations=R, origins=t, vertices=verts)

    __call__ = forward

    def _skin(self, R: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if self.vertex_ids.numel() == 0:
            return R.new_zeros(R.shape[0], 0, 3)
        dev, dt = R.device, R.dtype
        rest_R, rest_t = self.rest_R.to(dev, dt)[self.active], self.rest_t.to(dev, dt)[self.active]
        # skinning transform A_j = G_j G_rest_j^-1, blended per vertex
        A_R = R @ rest_R.transpose(-1, -2)  # (T,J,3,3)
        A_t = t - (A_R @ rest_t[..., None])[..., 0]
        T, J = R.shape[:2]
        # blend the 12 numbers of each bone's transform with one (N,J) x (J,T*12) matmul
        A = torch.cat([A_R.reshape(T, J, 9), A_t], -1).transpose(0, 1).reshape(J, T * 12)
        B = (self.weights.to(dev, dt) @ A).reshape(-1, T, 12).transpose(0, 1)  # (T,N,12)
        v = self.rest_vertices.to(dev, dt)
        return (B[..., :9].reshape(T, -1, 3, 3) * v[None, :, None, :]).sum(-1) + B[..., 9:]

    def _model_forward(self, transl, global_orient, body_pose) -> FastPose:
        T = transl.shape[0]
        params = BodyParams(transl, global_orient, body_pose, self.shape.to(transl).expand(T, -1))
        out = self.model(params)
        G = out.joint_transforms[:, self.active]
        R, t = G[..., :3, :3], G[..., :3, 3]
        if self._relative:
            t = t + (R @ self.rest_t.to(t)[self.active][..., None])[..., 0]
            R = R @ self.rest_R.to(R)[self.active]
        return FastPose(joints=out.joints[:, self.active], rotations=R, origins=t,
                        vertices=out.vertices[:, self.vertex_ids])

    # -- self check ----------------------------------------------------------------------------------------------
    def _model_params(self, transl: torch.Tensor, orient: torch.Tensor, pose: torch.Tensor) -> BodyParams:
        """BodyParams on the model's device and dtype, with this FastBody's shape."""
        B = transl.shape[0]
        params = BodyParams(transl, orient, pose, self.shape.expand(B, -1).clone())
        return params.to(device=self._model_device, dtype=self._model_dtype)

    def _probe_pose_axes(self) -> None:
        """Measure, for every posed joint, which world-rest axis each of its axis-angle components turns about:
        pose all joints by a small angle about pose axis k (one frame per k) and read the joint's rotation relative
        to its parent from the model's bone frames."""
        P = int(getattr(self.model, "num_body_joints", self.num_joints - 1))
        angle = 0.2
        pose = torch.zeros(3, P, 3)
        for k in range(3):
            pose[k, :, k] = angle
        zeros = torch.zeros(3, 3)
        with torch.no_grad():
            out = self.model(self._model_params(zeros, zeros.clone(), pose.reshape(3, -1)))
        R = out.joint_transforms[..., :3, :3].detach().float().cpu()
        if self._relative:
            R = R @ self.rest_R
        parents = torch.as_tensor(self.model.parents).long()
        world = R @ self.rest_R.transpose(-1, -2)  # (3,J,3,3) rotation of each bone since rest
        delta = world[:, parents.clamp_min(0)].transpose(-1, -2) @ world  # relative to the parent
        axes = matrix_to_axis_angle(delta) / angle  # (3 probes, J, 3): column k of each joint's map M_j
        M = axes.permute(1, 2, 0)  # (J,3,3)
        U, _, Vh = torch.linalg.svd(M)
        M = U @ Vh  # nearest rotation
        non_root = torch.tensor([j for j in range(self.num_joints) if j != self.root], dtype=torch.long)
        joints = non_root[self._body_slots]
        posed = self._body_slots < P
        # world delta = R(M_j aa)  =>  bone-frame rotation = R(R_rest_j^T M_j aa)
        measured = self._rest_R_body.transpose(-1, -2) @ M[joints]
        self.pose_axes = torch.where(posed[:, None, None], measured, self.pose_axes)

    def _self_check(self) -> None:
        gen = torch.Generator().manual_seed(0)
        B, P = 2, int(getattr(self.model, "num_body_joints", self.num_joints - 1)) * 3
        transl = torch.randn(B, 3, generator=gen) * 0.3
        orient = torch.randn(B, 3, generator=gen) * 0.5
        pose = torch.randn(B, P, generator=gen) * 0.15
        with torch.no_grad():
            ref = self.model(self._model_params(transl, orient, pose))
            ref_j = ref.joints.float().cpu()[:, self.active]
            ref_v = ref.vertices.float().cpu()[:, self.vertex_ids]
            best = None
            self._probe_pose_axes()
            for root_mode in _ROOT_MODES:
                self.root_mode = root_mode
                fp = self.forward(transl, orient, pose)
                ej = float((fp.joints - ref_j).norm(dim=-1).max())
                ev = (fp.vertices - ref_v).norm(dim=-1) if fp.vertices.numel() else ref_j.new_zeros(1)
                # a score below 1 means within every tolerance
                score = max(ej / SELF_CHECK_JOINT_TOL_M, float(ev.mean()) / SELF_CHECK_VERTEX_MEAN_TOL_M,
                            float(ev.max()) / SELF_CHECK_VERTEX_MAX_TOL_M)
                if best is None or score < best[0]:
                    best = (score, root_mode, max(ej, float(ev.max())))
        self.self_check_error_m = best[2]
        self.root_mode = best[1]
        if best[0] > 1.0:
            log.warning("fast forward kinematics disagree with the '%s' body model by %.1f mm; refinement falls "
                        "back to the full (slow) body forward", getattr(self.model, "name", "?"), best[2] * 1e3)
            self.exact = True
