"""Retargeting: fit BodyParams of any backend to target 3D joints named by CORE_JOINTS.

This is how SMPL(-X) outputs of pose estimators and baselines, BVH mocap and AMASS files enter an anny body, and it
is the joint term of refinement. Batched over frames: one Adam run optimises every frame at once, with an optional
temporal smoothness term on consecutive frames' parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

import torch

from zerohsi.body.params import CORE_JOINTS, BodyModel, BodyParams
from zerohsi.errors import UserError
from zerohsi.geometry import matrix_to_axis_angle

#: core joints the default fit rotates (the root is global_orient); the bones between them stay as initialised
DEFAULT_FREE_JOINTS: tuple[str, ...] = (
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "spine", "chest", "neck", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
_TORSO = ("pelvis", "left_hip", "right_hip", "spine", "chest", "neck", "left_shoulder", "right_shoulder", "head")


@dataclass
class FitResult:
    """params: fitted BodyParams (B = T frames); joint_error_m: CORE name -> mean error over frames (metres);
    per_frame_error_m (T,) mean joint error per frame; mean_error_m; loss history (every 10 iterations)."""

    params: BodyParams
    joint_error_m: dict[str, float]
    per_frame_error_m: torch.Tensor
    mean_error_m: float
    history: list[float]


def model_joints(model: BodyModel, params: BodyParams) -> torch.Tensor:
    """(B,J,3) joints, skipping mesh skinning when the backend offers ``forward_kinematics``."""
    fk = getattr(model, "forward_kinematics", None)
    return fk(params)[0] if fk is not None else model(params).joints


def kabsch(src: torch.Tensor, dst: torch.Tensor, weights: Optional[torch.Tensor] = None
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotation R (B,3,3) and translation t (B,3) minimising sum w |R src + t - dst|^2; src, dst (B,K,3)
    (roma's Kabsch/Umeyama registration, the one rigid alignment of the code base)."""
    import roma

    return roma.rigid_points_registration(src, dst, weights)


def free_bones(model: BodyModel, names: Sequence[str]) -> list[int]:
    """Sorted body_pose bone indices of the core joints ``names`` the model has (joint j is bone j - 1; the root,
    joint 0, is global_orient and has no bone)."""
    idx = model.core_joint_index()
    return sorted({idx[n] - 1 for n in names if n in idx and idx[n] > 0})


def initial_params(model: BodyModel, target: torch.Tensor, names: Sequence[str],
                   valid: Optional[torch.Tensor] = None) -> BodyParams:
    """Neutral pose rigidly aligned to the target torso (Kabsch per frame); root placed at the target pelvis."""
    from zerohsi.body.poses import neutral_params

    T = target.shape[0]
    base = neutral_params(model, 1)
    idx = model.core_joint_index()
    rest = model_joints(model, base).detach()[0].float()
    use = [i for i, n in enumerate(names) if n in _TORSO and n in idx]
    if len(use) < 3:
        use = [i for i, n in enumerate(names) if n in idx]
    src = torch.stack([rest[idx[names[i]]] for i in use])[None].expand(T, -1, -1)
    dst = target[:, use].float()
    w = None if valid is None else valid[:, use].float()
    dst = torch.nan_to_num(dst)
    R, t = kabsch(src, dst, w)
    # the root sits where the rigid fit puts the rest root (the origin of the rest body)
    params = base.replace(transl=t, global_orient=matrix_to_axis_angle(R),
                          body_pose=base.body_pose.expand(T, -1).clone(), shape=base.shape.expand(T, -1).clone())
    return params


def fit_to_joints(model: BodyModel, target: torch.Tensor, names: Sequence[str] = CORE_JOINTS, *,
                  weights: Optional[Mapping[str, float]] = None, init: Optional[BodyParams] = None,
                  iters: int = 300, lr: float = 0.05, smooth_weight: float = 0.0, pose_prior_weight: float = 1e-6,
                  fit_shape: bool = False, shape_prior_weight: float = 1e-3, shape_iters: int = 40,
                  free_joints: Optional[Sequence[str]] = None, polish_iters: int = 60,
                  progress: Optional[Callable[[int, float], None]] = None) -> FitResult:
    """Fit ``model`` parameters so its CORE joints ``names`` match ``target`` (T,K,3) world metres.

    weights: per-name loss weights (default 1; NaN target entries are ignored); init: starting BodyParams (B=T),
    default the neutral pose rigidly aligned to the target torso; free_joints: core joints whose rotations are
    optimised (default DEFAULT_FREE_JOINTS; "all" for every bone of the backend); smooth_weight: weight of
    mean |x_{t+1} - x_t|^2 over the optimised pose and root parameters; pose_prior_weight: L2 pull of the free
    rotations toward ``init``; fit_shape: optimise one shape vector shared by all frames during the first
    ``shape_iters`` iterations (shape gradients are costly for anny); the last ``polish_iters``
    of ``iters`` are L-BFGS iterations.
    """
    target = torch.as_tensor(target)
    if target.dim() == 2:
        target = target[None]
    names = list(names)
    if target.shape[1:] != (len(names), 3):
        raise ValueError(f"target must be (T,{len(names)},3), got {tuple(target.shape)}")
    idx = model.core_joint_index()
    unknown = [n for n in names if n not in idx]
    if unknown:
        raise UserError(f"The '{getattr(model, 'name', '?')}' body has no joints {', '.join(unknown)}; "
                        "fit to CORE_JOINTS names.")
    dev = getattr(model, "device", target.device)
    dtype = getattr(model, "dtype", torch.float32)
    target = target.to(device=dev, dtype=dtype)
    valid = torch.isfinite(target).all(-1)
    tgt = torch.nan_to_num(target)
    w = torch.tensor([float((weights or {}).get(n, 1.0)) for n in names], device=dev, dtype=dtype)
    w = w[None] * valid.to(dtype)
    T = target.shape[0]
    params0 = (init if init is not None else initial_params(model, tgt.cpu(), names, valid.cpu()))
    params0 = params0.to(device=dev, dtype=dtype).detach()
    if len(params0) != T:
        raise ValueError(f"init has {len(params0)} frames, target {T}")
    J = model.num_body_joints
    free = list(range(J)) if free_joints == "all" else free_bones(model, free_joints or DEFAULT_FREE_JOINTS)
    free_t = torch.as_tensor(free, dtype=torch.long, device=dev)
    pose0 = params0.body_pose.reshape(T, J, 3)
    transl = params0.transl.clone().requires_grad_(True)
    orient = params0.global_orient.clone().requires_grad_(True)
    free_pose = pose0[:, free_t].clone().requires_grad_(True)
    shape = params0.shape[:1].clone().requires_grad_(fit_shape)
    opt_vars = [transl, orient, free_pose] + ([shape] if fit_shape else [])
    opt = torch.optim.Adam(opt_vars, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, iters), eta_min=lr * 0.02)
    sel = torch.as_tensor([idx[n] for n in names], device=dev)
    norm = w.sum().clamp_min(1e-8)
    history: list[float] = []

    def assemble() -> BodyParams:
        pose = pose0.index_copy(1, free_t, free_pose) if free else pose0
        return BodyParams(transl, orient, pose.reshape(T, -1), shape.expand(T, -1))

    def objective() -> torch.Tensor:
        joints = model_joints(model, assemble())[:, sel]
        loss = (w * ((joints - tgt) ** 2).sum(-1)).sum() / norm
        if pose_prior_weight > 0:
            loss = loss + pose_prior_weight * ((free_pose - pose0[:, free_t]) ** 2).sum(-1).mean()
        if smooth_weight > 0 and T > 1:
            loss = loss + smooth_weight * (((free_pose[1:] - free_pose[:-1]) ** 2).sum((-1, -2)).mean()
                                           + ((orient[1:] - orient[:-1]) ** 2).sum(-1).mean()
                                           + ((transl[1:] - transl[:-1]) ** 2).sum(-1).mean())
        if fit_shape and shape_prior_weight > 0:
            loss = loss + shape_prior_weight * ((shape - params0.shape[:1]) ** 2).sum()
        return loss

    # Adam gets near the optimum from far away; a few L-BFGS steps then converge it to sub-millimetre accuracy
    polish_iters = min(polish_iters, iters // 2)
    adam_iters = iters - polish_iters
    for it in range(adam_iters):
        if fit_shape and it == shape_iters:
            shape.requires_grad_(False)  # shape settles early; later iterations reuse the cached rest model
        opt.zero_grad(set_to_none=True)
        loss = objective()
        loss.backward()
        opt.step()
        sched.step()
        if it % 10 == 0 or it == adam_iters - 1:
            history.append(float(loss.detach()))
            if progress is not None:
                progress(it, history[-1])
    if polish_iters > 0:
        lbfgs = torch.optim.LBFGS([v for v in opt_vars if v.requires_grad], lr=1.0, max_iter=polish_iters,
                                  history_size=20, line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                                  tolerance_change=1e-14)

        def closure() -> torch.Tensor:
            lbfgs.zero_grad(set_to_none=True)
            loss = objective()
            loss.backward()
            return loss

        history.append(float(lbfgs.step(closure).detach()))
        if progress is not None:
            progress(iters - 1, history[-1])
    with torch.no_grad():
        params = assemble().detach()
        params = params.replace(shape=params.shape.contiguous())
        err = (model_joints(model, params)[:, sel] - tgt).norm(dim=-1)  # (T,K)
    vf = valid.to(err.dtype)
    per_joint = {n: float((err[:, k] * vf[:, k]).sum() / vf[:, k].sum().clamp_min(1)) for k, n in enumerate(names)}
    per_frame = (err * vf).sum(1) / vf.sum(1).clamp_min(1)
    mean = float((err * vf).sum() / vf.sum().clamp_min(1))
    return FitResult(params, per_joint, per_frame.cpu(), mean, history)


def retarget(source: BodyModel, params: BodyParams, target_model: BodyModel, **fit_kwargs) -> FitResult:
    """Move a motion from one backend to another through their shared CORE joints."""
    from zerohsi.body.params import core_joints

    with torch.no_grad():
        joints = core_joints(source, model_joints(source, params).float())
    return fit_to_joints(target_model, joints, CORE_JOINTS, **fit_kwargs)
