"""Config of the baseline importers (no heavy imports: registration reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class BaselineConfig:
    #: the user's SMPL-X model file, or a folder holding smplx/SMPLX_NEUTRAL.npz; default $ZEROHSI_SMPLX_MODEL
    model_path: Optional[str] = None
    #: neutral | male | female: the SMPL-X body the baseline's output was made with
    gender: str = "neutral"
    #: frame rate of the baseline's output (TRUMANS, LINGO, CHOIS: 30); None keeps the importer's default
    source_fps: Optional[float] = None
    #: frame rate motions are scored at (the paper downsamples baselines to ZeroHSI's 10 fps)
    target_fps: float = 10.0
    #: body model the SMPL-X motion is retargeted onto (the one our metrics use)
    body: str = "anny"
    #: iterations of the per-frame fit onto the target body
    fit_iters: int = 100
    #: weight of the fit's frame-to-frame smoothness term (0: the baselines' own motion is already smooth, and any
    #: smoothing here would bias the scores)
    smooth_weight: float = 0.0
