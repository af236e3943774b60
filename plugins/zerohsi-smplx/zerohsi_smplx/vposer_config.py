"""Config of the ``vposer`` refiner (import-light: read at plugin registration)."""

from __future__ import annotations

from dataclasses import dataclass

from zerohsi.refine.configs import PhysicsConfig


@dataclass
class VPoserRefinerConfig(PhysicsConfig):
    """The physics objective optimised in VPoser's latent space (paper: lr 0.05, 1000 iterations)."""

    #: the user's VPoser weights: a folder (v1 experiment folder or v2 folder) or the weights file itself
    weights: str = ""
    #: auto | v1 | v2
    version: str = "auto"
    #: Adam learning rate on the VPoser latent and the root; cosine-decayed to lr * lr_final_ratio
    lr: float = 0.05
    #: VPoser is the pose prior here; the anatomical limits can still be added
    w_joint_limits: float = 0.0
    #: optional ||z||² pull toward the prior's mode
    w_latent: float = 0.0
