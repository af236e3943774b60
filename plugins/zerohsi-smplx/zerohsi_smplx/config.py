from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SmplxConfig:
    #: folder holding <model_type>/<MODEL>_<GENDER>.<ext> (e.g. smplx/SMPLX_NEUTRAL.npz), that file's folder, or the
    #: file itself; defaults to $ZEROHSI_SMPLX_MODELS
    model_path: str = ""
    #: smplx | smpl | smplh
    model_type: str = "smplx"
    #: neutral | male | female
    gender: str = "neutral"
    #: shape coefficients (betas) used from the model
    num_betas: int = 10
    #: npz or pkl (SMPL ships pkl only)
    ext: str = "npz"
