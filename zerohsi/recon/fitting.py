"""Human–scene interaction fitting (stage 6): per frame, body and object pose by differentiable rendering.

Frame t starts from frame t−1 (root translation r, orientation φ, object pose P) and from the pose initializer's Θ_t
(or Θ_{t−1} when the initializer has no estimate of its own, optionally moved on by ``extrapolate_pose`` times its
last change, an addition). The objective is a sum of named terms
(:data:`zerohsi.recon.losses.HSI_TERMS`, each logged as ``fit/<name>``). The paper's:
    photometric (1−λ)·L1 + λ·D-SSIM on the full frame, w_center·L_center (normalised 2-D centroid of the rendered vs
    segmented OBJECT mask, Eq. 11) and w_depth·L_depth (object mean depth vs its frame-0 depth);
zerohsi's additions (weight 0 in paper.yaml reproduces the paper): the centroid term on the human mask
(``w_center_human``), silhouettes (``w_mask``), a robust confidence-weighted 2-D reprojection of the body's joints
on the initializer's detected keypoints (``w_keypoints``) and a temporal prior (``w_temporal``).
The first ``root_only_iters`` iterations move only r and φ (and the object); the avatar's colour network is stepped
every ``color_every`` iterations at ``color_lr``. The object update is a relative 6-D rotation about the object's
origin plus a translation, composed with P_{t−1}.

Speed: only the human and the object move, so each frame is rendered in a crop around them (their segmented masks
and their previous-frame projections, with a margin). Pixels outside the crop add a constant to the loss, so the
photometric term is the crop's mean scaled by crop/full area and the centroids are normalised by the full image:
the gradients are the full-frame ones (up to the SSIM window at the crop border, which the margin keeps on
background; tests/recon/test_hsi_objective.py checks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import torch

from zerohsi.body.params import BodyParams
from zerohsi.cameras import Camera
from zerohsi.clip_setup import Setup
from zerohsi.config.schema import FitConfig
from zerohsi.errors import UserError
from zerohsi.gaussians import Gaussians
from zerohsi.geometry import axis_angle_to_matrix, make_transform, matrix_to_axis_angle, rotation_6d_to_matrix
from zerohsi.poseinit.base import PoseInit
from zerohsi.recon.losses import (
    HSI_TERMS,
    centroid_loss,
    keypoint_reprojection,
    masked_mean_depth,
    photometric,
    silhouette_loss,
    term_weight,
)
from zerohsi.recon.tracking import IDENTITY_6D

SCENE, HUMAN, OBJECT = 0, 1, 2


def compose_object_pose(prev: torch.Tensor, rot6d: torch.Tensor, trans: torch.Tensor) -> torch.Tensor:
    """Rotate P_{t−1} about its own origin by the 6-D delta, then translate."""
    R = rotation_6d_to_matrix(rot6d)
    return make_transform(R @ prev[:3, :3], prev[:3, 3] + trans)


@dataclass(frozen=True)
class Crop:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def area(self) -> int:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def image(self, img: torch.Tensor) -> torch.Tensor:
        return img[self.y0:self.y1, self.x0:self.x1]

    def camera(self, cam: Camera) -> Camera:
        K = cam.K.clone()
        K[0, 2] -= self.x0
        K[1, 2] -= self.y0
        return Camera(K, cam.world_to_cam, self.x1 - self.x0, self.y1 - self.y0)


def crop_around(points_uv: list[torch.Tensor], masks: list[torch.Tensor], width: int, height: int,
                margin_px: int = 12, margin_frac: float = 0.15) -> Crop:
    """The image window holding every given pixel (projected points (N,2), boolean masks (H,W)) plus a margin."""
    xs, ys = [], []
    for uv in points_uv:
        if uv.numel():
            xs += [float(uv[:, 0].min()), float(uv[:, 0].max())]
            ys += [float(uv[:, 1].min()), float(uv[:, 1].max())]
    for m in masks:
        if m is not None and bool(m.any()):
            yy, xx = torch.nonzero(m, as_tuple=True)
            xs += [float(xx.min()), float(xx.max()) + 1]
            ys += [float(yy.min()), float(yy.max()) + 1]
    if not xs:
        return Crop(0, 0, width, height)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    mx = margin_px + margin_frac * (x1 - x0)
    my = margin_px + margin_frac * (y1 - y0)
    c = Crop(int(max(0, x0 - mx)), int(max(0, y0 - my)), int(min(width, x1 + mx + 1)), int(min(height, y1 + my + 1)))
    if c.x1 - c.x0 < 8 or c.y1 - c.y0 < 8:
        return Crop(0, 0, width, height)
    return c


def free_pose_mask(model, free_joints, like: torch.Tensor) -> Optional[torch.Tensor]:
    """(J*3,) 0/1 mask over body_pose of the bones named by ``free_joints`` (None: every bone is free)."""
    from zerohsi.body.fitting import DEFAULT_FREE_JOINTS, free_bones

    names = [n for entry in free_joints for n in (DEFAULT_FREE_JOINTS if entry == "core" else (entry,))]
    if not names:
        return None
    idx = model.core_joint_index()
    unknown = sorted({n for n in names if n not in idx})
    if unknown:
        raise UserError(f"fit.free_joints names {', '.join(unknown)}, which the '{getattr(model, 'name', '?')}' "
                        f"body does not have; use CORE_JOINTS names or \"core\".")
    mask = torch.zeros(like.numel() // 3, 3, dtype=like.dtype, device=like.device)
    mask[free_bones(model, names)] = 1.0  # the root's rotation is global_orient, always free
    return mask.reshape(-1)


def align_to_initial_state(transl: torch.Tensor, orient: torch.Tensor, transl0: torch.Tensor,
                           orient0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A world trajectory (T,3) root translations, (T,3) axis-angle orientations, moved rigidly so that its frame 0
    is the known initial state (transl0, orient0); returns the moved (transl, orient).

    The one rigid motion (R, c) of the world with R = R0 · R_init(0)^T makes frame 0's root orientation R0 and its
    pelvis the known one; every later frame keeps its motion relative to frame 0:
    transl'_t = transl0 + R (transl_t − transl_0),  R'_t = R · R_t. (The pelvis offset of the rest body cancels: the
    body rotates about its pelvis.) Used by the "w/o OPT_all" ablation, so frame 0 → 1 does not jump from the known
    state to the initializer's own estimate of frame 0.
    """
    dt = transl.dtype
    R_t = axis_angle_to_matrix(orient.double())
    R = axis_angle_to_matrix(orient0.double().to(orient.device)) @ R_t[0].transpose(-1, -2)
    moved = transl0.double().to(transl.device) + (transl.double() - transl.double()[0]) @ R.T
    return moved.to(dt), matrix_to_axis_angle(R @ R_t).to(dt)


class HSIFitting:
    """A FrameProblem over the clip; ``motion_tensors()`` returns the fitted sequence."""

    name = "fit"

    def __init__(self, setup: Setup, frames: torch.Tensor, human_masks: torch.Tensor,
                 object_masks: Optional[torch.Tensor], cameras: list[Camera], init: PoseInit, cfg: FitConfig,
                 render_fn, background: torch.Tensor, crop: bool = True) -> None:
        self.setup = setup
        self.frames = frames
        self.human_masks = human_masks
        self.object_masks = object_masks
        self.cameras = cameras
        self.init = init
        self.cfg = cfg
        self.render_fn = render_fn
        self.background = background
        self.use_crop = crop
        self.scene = setup.scene.gaussians.with_group(SCENE)
        self.obj_canonical = setup.obj.gaussians.with_group(OBJECT) if setup.obj is not None else None
        self.shape = setup.body0.shape.detach()
        b0 = setup.body0
        self.transl = [b0.transl.detach()[0]]
        self.orient = [b0.global_orient.detach()[0]]
        self.pose = [b0.body_pose.detach()[0]]
        self.object_poses = [setup.object_pose0.detach()] if setup.object_pose0 is not None else []
        self.object_depth0: Optional[torch.Tensor] = None
        self.color_params = list(setup.avatar.color_parameters())
        self.pose_mask = free_pose_mask(setup.avatar.body_model, cfg.free_joints, self.pose[0])
        self.world_root: Optional[tuple[torch.Tensor, torch.Tensor]] = None
        self.weights = {term.name: term_weight(term, cfg) for term in HSI_TERMS}
        self.keypoints = self._keypoint_targets(init) if self.weights["keypoints"] > 0 else None
        if not cfg.opt_all:
            if not init.world or init.body is None:
                raise UserError("fit.opt_all=false plays the pose initializer's world trajectory as is, but this "
                                "initializer gives none; use one that estimates a world trajectory (e.g. "
                                "pose_initializer.name=wham) or keep fit.opt_all=true.")
            self.world_root = align_to_initial_state(init.body.transl.detach(), init.body.global_orient.detach(),
                                                     b0.transl.detach()[0], b0.global_orient.detach()[0])

    def _keypoint_targets(self, init: PoseInit) -> Optional[dict[str, Any]]:
        """The initializer's 2-D keypoints in frame pixels and the joints' fast forward kinematics (None without)."""
        track = init.keypoints
        if track is None:
            return None
        from zerohsi.refine.skeleton import FastBody

        model = self.setup.avatar.body_model
        idx = model.core_joint_index()
        names = [n for n in track.names if n in idx]
        track = track.subset(names)
        dev, dt = self.frames.device, torch.float32
        ids = torch.as_tensor([idx[n] for n in names])
        body = FastBody(model, self.shape.cpu(), joint_ids=ids)
        H, W = self.frames.shape[1:3]
        return {"body": body, "pos": body.compact(ids).to(dev),
                "uv": torch.as_tensor(track.uv, device=dev, dtype=dt),
                "conf": torch.as_tensor(track.conf, device=dev, dtype=dt),
                "sigma_px": float(self.cfg.keypoint_robust_scale) * math.hypot(W, H),
                "tolerance_px": float(self.cfg.keypoint_tolerance) * math.hypot(W, H)}

    # -- problem interface ---------------------------------------------------------------------------------------
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    def num_iters(self, t: int) -> int:
        return 0 if t == 0 or not self.cfg.opt_all else int(self.cfg.iters)

    def _initial_pose(self, t: int) -> torch.Tensor:
        if not (self.init.carry_previous or self.init.body is None):
            return self.init.body.body_pose[t].detach().to(self.pose[0])
        # without OPT_body the poses are the initializer's as they are: nothing moves them on
        k = float(self.cfg.extrapolate_pose) if self.cfg.opt_body else 0.0
        if k == 0.0 or t < 2:
            return self.pose[t - 1]
        # per joint: R_{t-1} (R_{t-2}^T R_{t-1})^k, the last change of each local rotation applied once more
        J = self.pose[t - 1].numel() // 3
        R1 = axis_angle_to_matrix(self.pose[t - 1].reshape(J, 3))
        R0 = axis_angle_to_matrix(self.pose[t - 2].reshape(J, 3))
        step = matrix_to_axis_angle(R0.transpose(-1, -2) @ R1)
        return matrix_to_axis_angle(R1 @ axis_angle_to_matrix(k * step)).reshape(-1)

    def start_frame(self, t: int) -> list[torch.optim.Optimizer]:
        if t == 0:
            if self.object_poses and self.object_depth0 is None:
                self.object_depth0 = self._object_depth(0)
            return []
        transl, orient = self._predicted_root(t)
        self.orient_start = orient
        self.crop = self._crop(t, transl, orient)
        self.p_transl = transl.clone().requires_grad_(True)
        self.p_orient = orient.clone().requires_grad_(True)
        self.pose_start = self._initial_pose(t)
        self.p_pose = self.pose_start.clone().requires_grad_(self.cfg.opt_body)
        if self.pose_mask is not None and self.cfg.opt_body:
            # zero gradients leave Adam's moments at zero: the bones outside free_joints do not move
            self.p_pose.register_hook(lambda g: g * self.pose_mask)
        if self.world_root is not None:
            # ablation "w/o OPT_all": the initializer's world trajectory as is (rigidly aligned at frame 0)
            self.p_transl = self.world_root[0][t].to(self.p_transl).clone()
            self.p_orient = self.world_root[1][t].to(self.p_orient).clone()
        opts = {"root": torch.optim.Adam([self.p_transl, self.p_orient], lr=self.cfg.lr)}
        if self.cfg.opt_body:
            opts["body"] = torch.optim.Adam([self.p_pose], lr=self.cfg.lr)
        if self.object_poses:
            dev = self.p_transl.device
            self.p_obj_rot = torch.tensor(IDENTITY_6D, device=dev, requires_grad=True)
            self.p_obj_trans = torch.zeros(3, device=dev, requires_grad=True)
            opts["object"] = torch.optim.Adam([self.p_obj_rot, self.p_obj_trans], lr=self.cfg.lr)
        if self.color_params and self.cfg.color_lr > 0 and self.cfg.color_every > 0:
            opts["color"] = torch.optim.Adam(self.color_params, lr=self.cfg.color_lr)
        self._opts = opts
        return list(opts.values())

    def _predicted_root(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Root translation / orientation frame t starts from: the previous frame's, pushed on by ``extrapolate``
        times the last frame-to-frame motion (translation difference; relative rotation, applied in world frame)."""
        transl, orient = self.transl[t - 1], self.orient[t - 1]
        k = float(self.cfg.extrapolate)
        if k == 0.0 or t < 2:
            return transl, orient
        transl = transl + k * (transl - self.transl[t - 2])
        R1, R0 = axis_angle_to_matrix(orient), axis_angle_to_matrix(self.orient[t - 2])
        step = matrix_to_axis_angle(R1 @ R0.T)
        return transl, matrix_to_axis_angle(axis_angle_to_matrix(k * step) @ R1)

    def active_optimizers(self, t, it, optimizers):
        active = [self._opts["root"]]
        if "object" in self._opts:
            active.append(self._opts["object"])
        if "body" in self._opts and it >= self.cfg.root_only_iters:
            active.append(self._opts["body"])
        if "color" in self._opts and it % self.cfg.color_every == 0:
            active.append(self._opts["color"])
        return active

    def current_params(self) -> BodyParams:
        return BodyParams(self.p_transl[None], self.p_orient[None], self.p_pose[None], self.shape)

    def current_object_pose(self, t: int) -> Optional[torch.Tensor]:
        if not self.object_poses:
            return None
        return compose_object_pose(self.object_poses[t - 1], self.p_obj_rot, self.p_obj_trans)

    def compose(self, params: BodyParams, object_pose: Optional[torch.Tensor], camera: Camera) -> Gaussians:
        parts = [self.scene, self.setup.avatar.gaussians(params, camera).with_group(HUMAN)]
        if object_pose is not None and self.obj_canonical is not None:
            parts.append(self.obj_canonical.transform(object_pose))
        return Gaussians.cat(parts)

    def render_state(self, params: BodyParams, object_pose: Optional[torch.Tensor], camera: Camera):
        g = self.compose(params, object_pose, camera)
        return self.render_fn(g, camera, with_groups=True, background=self.background)

    def closure(self, t: int, it: int) -> tuple[torch.Tensor, dict[str, float]]:
        terms = self.terms(t)
        loss = sum(self.weights[name] * value for name, value in terms.items())
        return loss, {k: float(v.detach()) for k, v in terms.items()}

    def terms(self, t: int) -> dict[str, torch.Tensor]:
        """The objective's terms (unweighted) at the current parameters of frame t: the paper's always, each
        addition only when its weight is above 0; a term with nothing to measure (no object) is absent."""
        w = self.weights
        obj_pose = self.current_object_pose(t)
        crop, full = self.crop, self.cameras[t]
        out = self.render_state(self.current_params(), obj_pose, crop.camera(full))
        scale = crop.area / float(full.width * full.height)
        terms = {"photometric": scale * photometric(out.rgb, crop.image(self.frames[t]), self.cfg.lambda_dssim)}
        human = out.groups[..., HUMAN]
        frame = (crop.x0, crop.y0, full.width, full.height)
        human_target = crop.image(self.human_masks[t])
        if obj_pose is not None and self.object_masks is not None:
            obj = out.groups[..., OBJECT]
            obj_target = crop.image(self.object_masks[t])
            terms["centroid"] = centroid_loss(obj, obj_target, frame)
            d = masked_mean_depth(out.depth, obj)
            if d is not None and self.object_depth0 is not None:
                terms["depth"] = (d - self.object_depth0) ** 2
        if w["centroid_human"] > 0:
            terms["centroid_human"] = centroid_loss(human, human_target, frame)
        if w["silhouette"] > 0:
            sil = silhouette_loss(human, human_target)
            if obj_pose is not None and self.object_masks is not None:
                sil = sil + silhouette_loss(out.groups[..., OBJECT], crop.image(self.object_masks[t]))
            terms["silhouette"] = scale * sil
        if w["keypoints"] > 0 and self.keypoints is not None:
            terms["keypoints"] = self._keypoint_term(t, full)
        if w["temporal"] > 0:
            temporal = ((self.p_orient - self.orient_start) ** 2).sum()
            if self.p_pose.requires_grad:
                temporal = temporal + ((self.p_pose - self.pose_start) ** 2).sum()
            terms["temporal"] = temporal
        return terms

    def _keypoint_term(self, t: int, camera: Camera) -> torch.Tensor:
        kp = self.keypoints
        H, W = self.frames.shape[1:3]
        cam = camera if (camera.width, camera.height) == (W, H) else camera.resized(W, H)
        fk = kp["body"](self.p_transl[None], self.p_orient[None], self.p_pose[None])
        uv = cam.project(fk.joints[0, kp["pos"]])[0]
        return keypoint_reprojection(uv, kp["uv"][t], kp["conf"][t], kp["sigma_px"], kp["tolerance_px"])

    def end_frame(self, t: int) -> None:
        if t == 0:
            return
        self.transl.append(self.p_transl.detach().clone())
        self.orient.append(self.p_orient.detach().clone())
        self.pose.append(self.p_pose.detach().clone())
        if self.object_poses:
            with torch.no_grad():
                self.object_poses.append(self.current_object_pose(t).detach())

    def _crop(self, t: int, transl: torch.Tensor, orient: torch.Tensor) -> Crop:
        cam = self.cameras[t]
        if not self.use_crop:
            return Crop(0, 0, cam.width, cam.height)
        with torch.no_grad():
            start = self.params_at(t - 1).replace(transl=transl[None], global_orient=orient[None])
            verts = self.setup.avatar.body_model(start).vertices[0]
            points = [cam.project(verts.float())[0]]
            if self.object_poses and self.obj_canonical is not None:
                points.append(cam.project(self.obj_canonical.transform(self.object_poses[t - 1]).means)[0])
        masks = [self.human_masks[t] > 0.5]
        if self.object_masks is not None:
            masks.append(self.object_masks[t] > 0.5)
        return crop_around(points, masks, cam.width, cam.height)

    # -- results -------------------------------------------------------------------------------------------------
    def params_at(self, t: int) -> BodyParams:
        return BodyParams(self.transl[t][None], self.orient[t][None], self.pose[t][None], self.shape)

    def body(self) -> BodyParams:
        T = len(self.transl)
        return BodyParams(torch.stack(self.transl), torch.stack(self.orient), torch.stack(self.pose),
                          self.shape.expand(T, -1).clone())

    def object_pose_tensor(self) -> Optional[torch.Tensor]:
        return torch.stack(self.object_poses) if self.object_poses else None

    def _object_depth(self, t: int) -> Optional[torch.Tensor]:
        with torch.no_grad():
            out = self.render_state(self.params_at(t), self.object_poses[t], self.cameras[t])
            return masked_mean_depth(out.depth, out.groups[..., OBJECT])

    def render_frame(self, t: int):
        """Re-render frame t of the fitted result (no grad)."""
        with torch.no_grad():
            return self.render_state(self.params_at(t), self.object_poses[t] if self.object_poses else None,
                                     self.cameras[t])

    def preview(self, t: int):
        return (self.render_frame(t).rgb.clamp(0, 1) * 255).byte().cpu().numpy()

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "transl": torch.stack(self.transl), "orient": torch.stack(self.orient), "pose": torch.stack(self.pose),
            "color": [p.detach().clone() for p in self.color_params],
        }
        if self.object_poses:
            state["object_poses"] = torch.stack(self.object_poses)
        if self.object_depth0 is not None:
            state["object_depth0"] = self.object_depth0
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.transl = list(state["transl"].unbind(0))
        self.orient = list(state["orient"].unbind(0))
        self.pose = list(state["pose"].unbind(0))
        with torch.no_grad():
            for p, v in zip(self.color_params, state["color"], strict=True):
                p.copy_(v)
        if "object_poses" in state:
            self.object_poses = list(state["object_poses"].unbind(0))
        self.object_depth0 = state.get("object_depth0")
