"""Built-in components of this role (import-light: heavy modules are imported inside the factories)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AnnyOptions:
    #: torch dtype of the model ("float32" is fast; anny's own default is float64)
    dtype: str = "float32"
    #: "warp" (fast sparse skinning kernel) or "lbs" (dense torch reference, ~4x slower)
    skinning: str = "warp"


def _make_anny(cfg: AnnyOptions):
    from zerohsi.body.anny_model import AnnyBody, AnnyConfig

    return AnnyBody(AnnyConfig(dtype=cfg.dtype, skinning=cfg.skinning))


def register(register) -> None:
    register("anny", _make_anny, config=AnnyOptions,
             description="anny parametric body (free, ships its assets; 104 bones, 13,718 vertices).")
