"""The ``physics`` refiner: the paper's refinement objective, optimised directly on the body parameters of any
body backend, with optional terms beyond the paper.

Objective (every term a sum over the T frames; weights in :class:`~zerohsi.refine.configs.PhysicsConfig`)::

    w_joints·Σ_t Σ_j ||J_tj − J*_tj||²                           core joints vs. the fitted motion (m²)
  + λ_physics·( λ_contact·Σ_t Σ_hands d_t,h                      hand–object contact (m), hands fitted within ε
              + λ_smooth·Σ_t ||Θ_t − Θ_t+1|| )                   pose (and root) smoothness, λ_smooth 0.3 / 0.1
  + w_penetration·Σ_t Σ_v max(−sdf(v), 0)                        scene (and hand-in-object) penetration (m)
  + w_foot_skate·Σ_t w_t·||Δxy_t||                               feet near the floor do not slide (m)
  + w_joint_limits·Σ hinge²                                      anatomical joint limits (rad²)
  + w_pose·Σ_t ||θ_t − θ*_t||²                                   optional anchor on the pose parameters

d_t,h is the smallest distance of a hand's vertices to the object surface (object SDF, or its surface points); only
hands whose fitted distance is below ε enter, so the contact set is fixed by the fitted motion as in the paper. The
object poses are kept. Speed: the body is posed with :class:`~zerohsi.refine.skeleton.FastBody` (forward
kinematics + skinning of a few hundred vertices), never with the full mesh inside the loop.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Optional

import torch

from zerohsi.body.params import BodyModel, BodyParams
from zerohsi.geometry import invert_transform
from zerohsi.metrics.foot_sliding import FOOT_JOINTS
from zerohsi.motion import Motion
from zerohsi.refine.configs import PhysicsConfig
from zerohsi.refine.joint_limits import JointLimits
from zerohsi.refine.skeleton import FastBody, FastPose

if TYPE_CHECKING:
    from zerohsi.clip_setup import Setup

#: heights (m) below which a joint counts as touching the floor, as in the foot-sliding metric
#: contact height of each foot joint: the foot-sliding metric's thresholds (NeMF), so the refiner's foot-skate term
#: and the metric agree on when a foot is down
_FOOT_JOINTS = dict(FOOT_JOINTS)
_SMOOTH_EPS = 1e-6

TERMS = ("joints", "contact", "smooth", "penetration", "foot_skate", "joint_limits", "pose")


def smoothness_weight(cfg: PhysicsConfig, setup: Optional[Setup]) -> float:
    """λ_smooth: the configured value, else the paper's 0.3 for static and 0.1 for dynamic (object) instances."""
    if cfg.lambda_smooth is not None:
        return float(cfg.lambda_smooth)
    dynamic = bool(getattr(setup, "dynamic", False))
    return cfg.lambda_smooth_dynamic if dynamic else cfg.lambda_smooth_static


class PhysicsObjective:
    """The refinement loss of a clip, around a fitted motion.

    model: the motion's body model; fitted: the motion being refined (its joints are the targets); setup: gives the
    scene (SDF, floor height), the object (SDF / surface points) and whether the instance is dynamic.
    ``terms(transl, global_orient, body_pose)`` returns the unweighted terms; ``total(terms)`` weights them.
    """

    def __init__(self, cfg: PhysicsConfig, model: BodyModel, fitted: Motion, setup: Optional[Setup]) -> None:
        self.cfg = cfg
        self.model = model
        body = fitted.body.detach().to(dtype=torch.float32)
        self.T = len(body)
        self.lambda_smooth = smoothness_weight(cfg, setup)
        gen = torch.Generator().manual_seed(int(cfg.seed))
        self.scene = getattr(setup, "scene", None) if setup is not None else None
        self.obj = getattr(setup, "obj", None) if setup is not None else None
        self.object_poses = None if fitted.object_poses is None else fitted.object_poses.detach().float()
        pose0 = getattr(setup, "object_pose0", None) if setup is not None else None
        if self.object_poses is None and self.obj is not None and pose0 is not None:
            # a motion without object poses: the object stays where the clip started
            self.object_poses = torch.as_tensor(pose0).detach().float().reshape(1, 4, 4).repeat(self.T, 1, 1)

        from zerohsi.body.params import CORE_JOINTS

        self.core = model.core_joint_index()
        core_model_idx = [self.core[n] for n in CORE_JOINTS if n in self.core]
        # vertices are taken among those skinned only by the bones the core joints already need (their ancestors):
        # fingers and face bones then stay out of the loop (see skeleton.FastBody)
        parents = [int(p) for p in torch.as_tensor(model.parents).tolist()]
        W = torch.as_tensor(model.skinning_weights).detach().float().cpu()
        W = W.to_dense() if W.is_sparse else W
        inside = torch.zeros(W.shape[1], dtype=torch.bool)
        inside[sorted(ancestors_closure(parents, core_model_idx))] = True
        cheap = W[:, ~inside].sum(1) < 1e-6  # (V,)
        sets = _vertex_sets(model)
        # hand vertices serve contact and hand-in-object penetration: only needed with an object
        hand_ids = {h: _subsample(_prefer(sets.get(h), cheap), cfg.hand_vertices, gen) if self.obj is not None
                    else None for h in ("left_hand", "right_hand")}
        pen_ids = (_subsample(torch.nonzero(cheap)[:, 0], cfg.penetration_vertices, gen)
                   if cfg.w_penetration > 0 else torch.zeros(0, dtype=torch.long))
        groups = [("pen", pen_ids)] + [(h, ids) for h, ids in hand_ids.items() if ids is not None]
        all_ids = torch.cat([ids for _, ids in groups]) if groups else torch.zeros(0, dtype=torch.long)
        self.slices, start = {}, 0
        for name, ids in groups:
            self.slices[name] = slice(start, start + ids.numel())
            start += ids.numel()
        self.body = FastBody(model, body.shape[0], all_ids, joint_ids=torch.tensor(core_model_idx))
        self.core_idx = self.body.compact(core_model_idx)
        self.hand_joint = {h: int(self.body.compact([self.core[h]])[0]) if h in self.core else None
                           for h in ("left_hand", "right_hand")}
        self.limits = JointLimits(self.body, model) if cfg.w_joint_limits > 0 else None

        self.fit_transl, self.fit_orient, self.fit_pose = body.transl, body.global_orient, body.body_pose
        with torch.no_grad():
            fp = self.body(body.transl, body.global_orient, body.body_pose)
        self.target_joints = fp.joints[:, self.core_idx].clone()
        self.contact_mask = self._contact_mask(fp)
        self.foot_weights, self.foot_idx = self._foot_weights(fp)

    # -- fixed data from the fitted motion ----------------------------------------------------------------------
    def _hand_distance(self, fp: FastPose) -> Optional[torch.Tensor]:
        """(T,2) smallest distance (m, >= 0) of each hand to the object surface, or None without an object."""
        if self.obj is None or self.object_poses is None or self.cfg.lambda_contact == 0:
            return None
        dists = []
        for h in ("left_hand", "right_hand"):
            pts = fp.vertices[:, self.slices[h]] if h in self.slices else fp.joints[:, [self.hand_joint[h]]]
            d = self._object_distance(pts).clamp_min(0)
            dists.append(d.min(dim=1).values)
        return torch.stack(dists, -1)

    def _object_distance(self, pts: torch.Tensor) -> torch.Tensor:
        """(T,N,3) world points -> (T,N) signed distance to the object (negative inside)."""
        poses = self.object_poses[: pts.shape[0]].to(pts)
        w2o = invert_transform(poses)
        local = pts @ w2o[:, :3, :3].transpose(-1, -2) + w2o[:, None, :3, 3]
        if hasattr(self.obj, "sdf"):
            return self.obj.sdf(local.reshape(-1, 3)).reshape(local.shape[:-1]).to(pts)
        surf = torch.as_tensor(self.obj.surface_points(512)).to(pts)  # (M,3) object frame
        return torch.cdist(local, surf.expand(local.shape[0], -1, -1)).min(-1).values

    def _contact_mask(self, fp: FastPose) -> Optional[torch.Tensor]:
        d = self._hand_distance(fp)
        return None if d is None else (d < self.cfg.contact_eps_m)

    def _foot_weights(self, fp: FastPose) -> tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        if self.cfg.w_foot_skate <= 0 or self.T < 2:
            return None, None
        names = [n for n in _FOOT_JOINTS if n in self.core]
        if not names:
            return None, None
        idx = self.body.compact([self.core[n] for n in names])
        z = fp.joints[:, idx, 2]
        floor = getattr(self.scene, "floor_height", None)
        # the joints' own clearance at rest differs between bodies: heights are measured above each joint's lowest
        # point in the clip when the scene gives no floor
        base = z.min(0).values if floor is None else torch.full((len(names),), float(floor))
        H = torch.tensor([_FOOT_JOINTS[n] for n in names]) * self.cfg.foot_contact_height_m / 0.04
        h = (z - base).clamp_min(0)
        w = torch.where(h < H, 2 - torch.pow(2.0, h / H), torch.zeros_like(h))
        return torch.minimum(w[1:], w[:-1]), idx

    # -- the loss ----------------------------------------------------------------------------------------------
    def pose(self, transl: torch.Tensor, global_orient: torch.Tensor, body_pose: torch.Tensor) -> FastPose:
        return self.body(transl, global_orient, body_pose)

    def terms(self, transl: torch.Tensor, global_orient: torch.Tensor, body_pose: torch.Tensor) -> dict:
        """Unweighted loss terms (scalars) at these parameters: transl (T,3), global_orient (T,3), body_pose (T,P)."""
        cfg = self.cfg
        fp = self.pose(transl, global_orient, body_pose)
        zero = transl.new_zeros(())
        out = {k: zero for k in TERMS}
        out["joints"] = ((fp.joints[:, self.core_idx] - self.target_joints.to(transl)) ** 2).sum()
        if self.T > 1:
            out["smooth"] = _diff_norm(body_pose).sum()
            if cfg.smooth_root:
                out["smooth"] = out["smooth"] + _diff_norm(transl).sum() + _diff_norm(global_orient).sum()
        if self.contact_mask is not None and bool(self.contact_mask.any()):
            d = self._hand_distance(fp)
            out["contact"] = (d * self.contact_mask.to(d)).sum()
        if cfg.w_penetration > 0:
            out["penetration"] = self._penetration(fp)
        if self.foot_weights is not None:
            xy = fp.joints[:, self.foot_idx, :2]
            step = torch.sqrt(((xy[1:] - xy[:-1]) ** 2).sum(-1) + _SMOOTH_EPS ** 2)
            out["foot_skate"] = (self.foot_weights.to(step) * step).sum()
        if self.limits is not None:
            out["joint_limits"] = self.limits.penalty(fp)
        if cfg.w_pose > 0:
            out["pose"] = ((body_pose - self.fit_pose.to(body_pose)) ** 2).sum()
        return out

    def _penetration(self, fp: FastPose) -> torch.Tensor:
        total = fp.vertices.new_zeros(())
        pen = fp.vertices[:, self.slices["pen"]] if "pen" in self.slices else fp.vertices[:, :0]
        if self.scene is not None and hasattr(self.scene, "sdf") and pen.shape[1]:
            d = self.scene.sdf(pen.reshape(-1, 3)).reshape(pen.shape[:-1]).to(pen)
            total = total + (-d).clamp_min(0).sum()
        if self.obj is not None and self.object_poses is not None:
            for h in ("left_hand", "right_hand"):
                if h in self.slices:
                    total = total + (-self._object_distance(fp.vertices[:, self.slices[h]])).clamp_min(0).sum()
        return total

    def weights(self) -> dict[str, float]:
        c = self.cfg
        return {"joints": c.w_joints, "contact": c.lambda_physics * c.lambda_contact,
                "smooth": c.lambda_physics * self.lambda_smooth, "penetration": c.w_penetration,
                "foot_skate": c.w_foot_skate, "joint_limits": c.w_joint_limits, "pose": c.w_pose}

    def total(self, terms: dict) -> torch.Tensor:
        w = self.weights()
        return sum(w[k] * v for k, v in terms.items() if w.get(k, 0) != 0)

    def report(self, transl, global_orient, body_pose) -> dict[str, float]:
        """Unweighted terms and the weighted total as floats, plus the mean core-joint offset from the fit (mm)."""
        with torch.no_grad():
            t = self.terms(transl, global_orient, body_pose)
            out = {k: float(v) for k, v in t.items()}
            out["total"] = float(self.total(t))
            out["joint_offset_mm"] = 1e3 * math.sqrt(out["joints"] / max(1, self.T * len(self.core_idx)))
        return out


@contextlib.contextmanager
def cpu_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op CPU threads (0: leave the setting alone), restoring it after.

    The refinement loop is thousands of small tensor ops; intra-op threads only add synchronisation to them (25
    iterations of the vposer refiner measured 0.43 s on one thread, 6.1 s on two, on a busy 2-core machine)."""
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n > 0:
            torch.set_num_threads(before)


def optimize(params: list[torch.Tensor], closure: Callable[[], torch.Tensor], iters: int, lr: float,
             lr_final_ratio: float = 0.1, threads: int = 1) -> None:
    """Adam with a cosine decay from lr to lr·lr_final_ratio; ``closure`` returns the loss to minimise.
    ``threads``: torch CPU threads during the loop (see :func:`cpu_threads`; ignored on GPU tensors)."""
    if iters <= 0 or not params:
        return
    opt = torch.optim.Adam(params, lr=lr)
    floor = lr * lr_final_ratio
    with cpu_threads(threads if params[0].device.type == "cpu" else 0):
        for it in range(iters):
            for group in opt.param_groups:
                group["lr"] = floor + 0.5 * (lr - floor) * (1 + math.cos(math.pi * it / max(1, iters - 1)))
            opt.zero_grad(set_to_none=True)
            loss = closure()
            loss.backward()
            opt.step()


class PhysicsRefiner:
    """Refines a fitted motion with :class:`PhysicsObjective`, optimising root translation, orientation and the
    body pose of every frame at once."""

    def __init__(self, cfg: PhysicsConfig | None = None, body_model: BodyModel | None = None) -> None:
        self.cfg = cfg or PhysicsConfig()
        if self.cfg.iters < 0 or self.cfg.lr <= 0:
            from zerohsi.errors import ConfigError

            raise ConfigError("refiner 'physics' needs iters >= 0 and lr > 0.")
        self.body_model = body_model

    def refine(self, motion: Motion, setup: Optional[Setup] = None) -> tuple[Motion, dict[str, dict[str, float]]]:
        with cpu_threads(self.cfg.cpu_threads if motion.body.transl.device.type == "cpu" else 0):
            return self._refine(motion, setup)

    def _refine(self, motion: Motion, setup: Optional[Setup]) -> tuple[Motion, dict[str, dict[str, float]]]:
        model = resolve_body_model(self.body_model, setup, motion)
        torch.manual_seed(int(self.cfg.seed))
        objective = PhysicsObjective(self.cfg, model, motion, setup)
        body = motion.body.detach().to(dtype=torch.float32)
        transl = body.transl.clone().requires_grad_(self.cfg.optimize_root)
        orient = body.global_orient.clone().requires_grad_(self.cfg.optimize_root)
        pose = body.body_pose.clone().requires_grad_(True)
        before = objective.report(transl, orient, pose)
        params = [pose] + ([transl, orient] if self.cfg.optimize_root else [])
        optimize(params, lambda: objective.total(objective.terms(transl, orient, pose)), self.cfg.iters,
                 self.cfg.lr, self.cfg.lr_final_ratio, self.cfg.cpu_threads)
        after = objective.report(transl, orient, pose)
        new_body = BodyParams(transl.detach(), orient.detach(), pose.detach(), body.shape.clone())
        return with_body(motion, new_body, "physics"), {"before": before, "after": after}


def with_body(motion: Motion, body: BodyParams, refiner: str) -> Motion:
    """A copy of ``motion`` with new body parameters, its provenance noting the refiner."""
    prov = dict(motion.provenance)
    prov["refiners"] = [*prov.get("refiners", []), refiner]
    dev = motion.body.transl.device
    return Motion(body.to(dev), motion.body_model, motion.fps, motion.object_poses, motion.K, motion.world_to_cam,
                  motion.image_size, prov)


def resolve_body_model(model: BodyModel | None, setup: Optional[Setup], motion: Motion) -> BodyModel:
    """The body model to pose ``motion`` with: the one given, else the setup avatar's."""
    if model is None:
        avatar = getattr(setup, "avatar", None) if setup is not None else None
        model = getattr(avatar, "body_model", None)
    if model is None:
        from zerohsi.errors import UserError

        raise UserError("Refinement needs the body model: pass a setup with an avatar (or a body_model).")
    name = getattr(model, "name", None)
    if name is not None and motion.body_model != name:
        from zerohsi.errors import UserError

        raise UserError(f"This motion uses the '{motion.body_model}' body but the refiner got the '{name}' body "
                        "model; refine with the avatar the motion was fitted with.")
    return model


def _diff_norm(x: torch.Tensor) -> torch.Tensor:
    """(T,D) -> (T-1,) ||x_t+1 − x_t||, smoothed at zero so a static sequence has zero gradient."""
    d = x[1:] - x[:-1]
    return torch.sqrt((d * d).sum(-1) + _SMOOTH_EPS ** 2) - _SMOOTH_EPS


def _vertex_sets(model: BodyModel) -> dict:
    try:
        return {k: torch.as_tensor(v, dtype=torch.long).reshape(-1).cpu() for k, v in model.vertex_sets().items()}
    except (AttributeError, NotImplementedError):
        return {}


def ancestors_closure(parents: list[int], ids) -> set[int]:
    """The joints ``ids`` and all their ancestors."""
    out: set[int] = set()
    for j in ids:
        j = int(j)
        while j >= 0 and j not in out:
            out.add(j)
            j = parents[j]
    return out


def _prefer(ids: Optional[torch.Tensor], mask: torch.Tensor, minimum: int = 8) -> Optional[torch.Tensor]:
    """The members of ``ids`` where ``mask`` holds, unless fewer than ``minimum`` do (then all of ``ids``)."""
    if ids is None:
        return None
    kept = ids[mask[ids]]
    return kept if kept.numel() >= minimum else ids


def _subsample(ids: Optional[torch.Tensor], n: int, gen: torch.Generator) -> Optional[torch.Tensor]:
    """At most n of ``ids`` (sorted), drawn with ``gen``; None stays None."""
    if ids is None or ids.numel() == 0:
        return None
    if ids.numel() <= n:
        return ids.clone()
    pick = torch.randperm(ids.numel(), generator=gen)[:n]
    return ids[pick.sort().values]
