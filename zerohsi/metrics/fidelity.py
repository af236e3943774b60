"""Ground-truth fidelity for sources that know the true motion (the scripted test signal, synthetic data).

All metrics here compare ``motion`` with ``ctx.ground_truth`` over their common frames and are skipped without one.
"""

from __future__ import annotations

import numpy as np
import torch

from zerohsi.geometry import axis_angle_to_matrix, rotation_angle_deg
from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.posed import common_length, posed_core_joints
from zerohsi.motion import Motion


def procrustes_align(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Similarity-align pred to gt per frame (Umeyama, through roma): (T,J,3), (T,J,3) -> aligned pred (T,J,3)."""
    import roma

    R, t, s = roma.rigid_points_registration(pred, gt, compute_scaling=True)
    return s[:, None, None] * pred @ R.transpose(1, 2) + t[:, None]


def require_visible_truth(ctx: EvalContext) -> None:
    """Raise MetricSkipped unless there is a ground-truth motion whose person the video shows on some frame: a
    person outside the image (an empty true human mask on every frame) leaves the fit nothing to recover, and an
    error against it would measure the placement, not the reconstruction."""
    if ctx.ground_truth is None:
        raise MetricSkipped("no ground-truth motion (only scripted or synthetic sources have one)")
    gt_masks = ctx.gt_masks
    if gt_masks is not None and not np.asarray(gt_masks.human).any():
        raise MetricSkipped("invalid: the person is not visible on any frame of the video (empty true human mask), "
                            "so there was nothing to reconstruct")


class JointError:
    """mpjpe_mm: mean over frames and CORE_JOINTS of ‖p − p_gt‖ (millimetres, world frame, no alignment).
    pa_mpjpe_mm: the same after a per-frame similarity (Procrustes) alignment of the joints to the ground truth.
    """

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        require_visible_truth(ctx)
        pred, gt = posed_core_joints(motion, ctx), posed_core_joints(ctx.ground_truth, ctx)
        n = common_length(pred.shape[0], gt.shape[0])
        pred, gt = pred[:n].double(), gt[:n].double()
        mpjpe = (pred - gt).norm(dim=-1).mean()
        pa = (procrustes_align(pred, gt) - gt).norm(dim=-1).mean()
        return {"mpjpe_mm": 1000.0 * float(mpjpe), "pa_mpjpe_mm": 1000.0 * float(pa)}


class RootError:
    """root_err_cm: mean over frames of the pelvis-joint position error (centimetres, world frame). The pelvis joint
    rather than ``transl`` keeps the number comparable across body backends whose root offsets differ.
    """

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        require_visible_truth(ctx)
        pred = posed_core_joints(motion, ctx, ["pelvis"])[:, 0]
        gt = posed_core_joints(ctx.ground_truth, ctx, ["pelvis"])[:, 0]
        n = common_length(pred.shape[0], gt.shape[0])
        return {"root_err_cm": 100.0 * float((pred[:n] - gt[:n]).norm(dim=-1).mean())}


class OrientError:
    """orient_err_deg: mean over frames of the geodesic angle between predicted and true global orientations."""

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        require_visible_truth(ctx)
        gt = ctx.ground_truth
        n = common_length(len(motion), len(gt))
        Ra = axis_angle_to_matrix(motion.body.global_orient[:n].detach().double())
        Rb = axis_angle_to_matrix(gt.body.global_orient[:n].detach().double())
        return {"orient_err_deg": float(rotation_angle_deg(Ra, Rb).mean())}


#: limbs scored for left/right swaps: their two distal joints, by CORE_JOINTS name without the side
SWAP_LIMBS = {"legs": ("knee", "ankle"), "arms": ("elbow", "wrist")}
#: a frame's limb is swapped when labelling it the other way round is closer to the truth by more than this (metres,
#: summed over the limb's two joints on both sides): legs passing each other mid-stride are not counted
SWAP_MARGIN_M = 0.10


def limb_swaps(pred: torch.Tensor, gt: torch.Tensor, names: list[str]) -> torch.Tensor:
    """(T,J,3) joints named ``names`` -> (T,) bool: some limb pair (legs or arms) is labelled left for right."""
    idx = {n: i for i, n in enumerate(names)}
    swapped = torch.zeros(pred.shape[0], dtype=torch.bool)
    for parts in SWAP_LIMBS.values():
        left = [idx[f"left_{p}"] for p in parts]
        right = [idx[f"right_{p}"] for p in parts]
        d = lambda a, b: (pred[:, a] - gt[:, b]).norm(dim=-1).sum(-1)  # noqa: E731
        straight, crossed = d(left, left) + d(right, right), d(left, right) + d(right, left)
        swapped |= (crossed + SWAP_MARGIN_M < straight).cpu()
    return swapped


class LimbSwap:
    """limb_swap_frac: fraction of frames on which the reconstruction's legs or arms are labelled the wrong way
    round (its left knee and ankle where the truth's right ones are, and vice versa; see :func:`limb_swaps`)."""

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        require_visible_truth(ctx)
        names = [f"{side}_{p}" for parts in SWAP_LIMBS.values() for p in parts for side in ("left", "right")]
        pred, gt = posed_core_joints(motion, ctx, names), posed_core_joints(ctx.ground_truth, ctx, names)
        n = common_length(pred.shape[0], gt.shape[0])
        return {"limb_swap_frac": float(limb_swaps(pred[:n].double(), gt[:n].double(), names).double().mean())}


def _pose_errors(pred: torch.Tensor, gt: torch.Tensor) -> tuple[float, float]:
    """(T,4,4) poses -> (mean rotation error in degrees, mean translation error in centimetres)."""
    n = common_length(pred.shape[0], gt.shape[0])
    pred, gt = pred[:n].detach().double(), gt[:n].detach().double()
    rot = rotation_angle_deg(pred[:, :3, :3], gt[:, :3, :3]).mean()
    transl = (pred[:, :3, 3] - gt[:, :3, 3]).norm(dim=-1).mean()
    return float(rot), 100.0 * float(transl)


class ObjectError:
    """obj_rot_err_deg (geodesic, degrees) and obj_transl_err_cm (centimetres): mean over frames of the
    object-to-world pose error. Skipped for static scenes (no object poses on either side)."""

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        require_visible_truth(ctx)
        gt = ctx.ground_truth
        if gt.object_poses is None or motion.object_poses is None:
            raise MetricSkipped("no object poses (a static scene)")
        rot, transl = _pose_errors(motion.object_poses, gt.object_poses)
        return {"obj_rot_err_deg": rot, "obj_transl_err_cm": transl}


class CameraError:
    """cam_rot_err_deg and cam_transl_err_cm: mean over frames of the error of the camera orientation (geodesic) and
    of the camera centre in the world (centimetres), from the world-to-camera matrices."""

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        gt = ctx.ground_truth
        if gt is None:
            raise MetricSkipped("no ground-truth motion (only scripted or synthetic sources have one)")
        if gt.world_to_cam is None or motion.world_to_cam is None:
            raise MetricSkipped("no cameras on the motion or its ground truth")
        from zerohsi.geometry import invert_transform

        rot, transl = _pose_errors(invert_transform(motion.world_to_cam.double()),
                                   invert_transform(gt.world_to_cam.double()))
        return {"cam_rot_err_deg": rot, "cam_transl_err_cm": transl}


def mask_iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean over frames of |pred ∧ gt| / |pred ∨ gt| for bool (T,H,W) masks; a frame empty in both scores 1."""
    n = common_length(pred.shape[0], gt.shape[0])
    pred, gt = pred[:n].astype(bool), gt[:n].astype(bool)
    inter = np.logical_and(pred, gt).sum((1, 2))
    union = np.logical_or(pred, gt).sum((1, 2))
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return float(iou.mean())


class MaskIoU:
    """mask_iou_human (and mask_iou_object for dynamic scenes): :func:`mask_iou` of ``ctx.masks`` (the segmenter's)
    against ``ctx.gt_masks`` (the scripted source's true masks), in 0..1."""

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        if ctx.masks is None or ctx.gt_masks is None:
            raise MetricSkipped("no true masks to compare the segmenter's with (only the scripted source has them)")
        out = {"mask_iou_human": mask_iou(ctx.masks.human, ctx.gt_masks.human)}
        if ctx.masks.object is not None and ctx.gt_masks.object is not None:
            out["mask_iou_object"] = mask_iou(ctx.masks.object, ctx.gt_masks.object)
        return out
