from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zerohsi.errors import UserError

DOWNLOAD = {"smplx": "https://smpl-x.is.tue.mpg.de", "smplh": "https://mano.is.tue.mpg.de",
            "smpl": "https://smpl.is.tue.mpg.de"}
_FILE = {"smplx": "SMPLX", "smplh": "SMPLH", "smpl": "SMPL"}


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


def resolve_model_file(cfg: SmplxConfig) -> tuple[Path, str]:
    """(the model file, its extension). Raises a UserError saying where to get the file and where to put it."""
    mt = cfg.model_type.lower()
    if mt not in _FILE:
        raise UserError(f"Unknown SMPL model_type '{cfg.model_type}'; use smplx, smpl or smplh.")
    raw = cfg.model_path or os.environ.get("ZEROHSI_SMPLX_MODELS", "")
    ext = "pkl" if mt == "smpl" else cfg.ext
    fname = f"{_FILE[mt]}_{cfg.gender.upper()}.{ext}"
    if raw:
        root = Path(raw).expanduser()
        for cand in (root / mt / fname, root / fname, root):
            if cand.is_file():
                return cand, cand.suffix.lstrip(".")
    where = f"not found under '{raw}'" if raw else "needed, and no model folder is set"
    put = f"{raw}/{mt}/{fname}" if raw else f"FOLDER/{mt}/{fname}"
    raise UserError(f"{_FILE[mt]} model file {fname} {where}: download it from {DOWNLOAD[mt]} (free registration), "
                    f"put it at {put} and set the body's model_path (avatar.body.options.model_path or "
                    "$ZEROHSI_SMPLX_MODELS) to that folder.")
