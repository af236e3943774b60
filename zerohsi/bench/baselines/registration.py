"""Built-in baseline importers: TRUMANS, LINGO and CHOIS outputs -> `Motion` on our body model."""

from __future__ import annotations

from zerohsi.bench.baselines.configs import BaselineConfig


def _lazy(cls: str):
    def factory(cfg):
        from zerohsi.bench.baselines import base

        return getattr(base, cls)(cfg)

    return factory


def register(register) -> None:
    register("trumans", _lazy("TrumansImporter"), config=BaselineConfig,
             description="TRUMANS SMPL-X output (y-up, 30 fps) retargeted to our body at 10 fps.")
    register("lingo", _lazy("LingoImporter"), config=BaselineConfig,
             description="LINGO SMPL-X output pickle (y-up, 30 fps) retargeted to our body at 10 fps.")
    register("chois", _lazy("ChoisImporter"), config=BaselineConfig,
             description="CHOIS SMPL-X + object output (z-up, 30 fps) retargeted to our body at 10 fps.")
