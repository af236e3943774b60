"""Configs of the built-in refiners (import-light: registration reads them without importing torch code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class PhysicsConfig:
    """The paper's refinement objective (joint fit + 1e-3·(contact + λ_smooth·smoothness)) plus optional terms.

    Every loss is a sum over frames (the paper's Σ_t). Weights of 0 switch a term off.
    """

    #: optimisation iterations over the whole sequence
    iters: int = 1000
    #: Adam learning rate on root translation (m), axis-angles (rad); cosine-decayed to lr * lr_final_ratio
    lr: float = 0.01
    #: the learning rate at the last iteration, as a fraction of lr
    lr_final_ratio: float = 0.1
    #: weight of Σ_t Σ_core-joints ||J - J_fit||² (m²)
    w_joints: float = 1.0
    #: the paper's weight of the physical terms (contact + lambda_smooth * smoothness) against the joint fit
    lambda_physics: float = 1e-3
    #: weight of the hand-object contact term inside the physical terms (0: off)
    lambda_contact: float = 1.0
    #: smoothness weight; unset: lambda_smooth_static or lambda_smooth_dynamic by the instance type
    lambda_smooth: Optional[float] = None
    #: smoothness weight of static instances (no object moved), when lambda_smooth is unset
    lambda_smooth_static: float = 0.3
    #: smoothness weight of dynamic instances (an object is moved), when lambda_smooth is unset
    lambda_smooth_dynamic: float = 0.1
    #: smoothness also on root translation and orientation (the paper smooths Θ, the body pose)
    smooth_root: bool = True
    #: hands whose fitted distance to the object is below this are pulled into contact (metres)
    contact_eps_m: float = 0.10
    #: hand vertices per hand used for contact (a deterministic subsample)
    hand_vertices: int = 32
    #: beyond the paper: Σ over sampled body vertices of depth inside the scene (and hands inside the object), metres
    w_penetration: float = 0.0
    #: body vertices sampled for the penetration term
    penetration_vertices: int = 384
    #: beyond the paper: horizontal slide of feet near the floor, Σ_t w_t·|Δxy| (metres), w_t as in the metric
    w_foot_skate: float = 0.0
    #: feet lower than this above the floor count as on it for the skate term (metres)
    foot_contact_height_m: float = 0.05
    #: anatomical joint-limit hinge (rad²), body-agnostic
    w_joint_limits: float = 1.0
    #: Σ_t ||θ - θ_fit||² on body-pose axis-angles; keeps bone twists (invisible to joint positions) in place
    w_pose: float = 0.0
    #: optimise root translation and orientation too (False: only the body pose)
    optimize_root: bool = True
    #: seeds the vertex subsampling
    seed: int = 0
    #: torch CPU threads during the loop (small ops: one thread is fastest); 0 leaves torch's setting
    cpu_threads: int = 1
