"""Config of the ``vposer`` refiner (import-light: read at plugin registration)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zerohsi.errors import UserError
from zerohsi.refine.configs import PhysicsConfig

DOWNLOAD = "https://smpl-x.is.tue.mpg.de"


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


def find_weights_file(path: str | os.PathLike) -> Path:
    """The VPoser weights file at ``path`` (the file, or a v1/v2 folder holding it)."""
    if not str(path):
        raise UserError(f"The vposer refiner needs VPoser weights: download them from {DOWNLOAD} and set the "
                        "refiner's `weights` option to their folder or file.")
    path = Path(path).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        # a v1 experiment folder keeps its weights in snapshots/*.pt; a v2 one in snapshots/*.ckpt
        cands = sorted([*path.glob("snapshots/*.pt"), *path.glob("snapshots/*.ckpt"), *path.glob("*.pt"),
                        *path.glob("*.ckpt")])
        if cands:
            return cands[-1]
    raise UserError(f"VPoser weights not found at '{path}': download VPoser (v1.0 or v2.05) from {DOWNLOAD} "
                    "(free registration) and set the vposer refiner's `weights` option to its folder or weights file.")
