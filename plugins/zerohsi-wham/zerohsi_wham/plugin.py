"""Registers the ``wham`` pose initializer (import-light: the reader is imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_pose_initializers(register):
    from zerohsi.poseinit.config import smpl_adapter_missing
    from zerohsi_wham.config import WhamConfig

    register("wham", lazy("zerohsi_wham.reader:WhamInitializer"), config=WhamConfig,
             requirements=smpl_adapter_missing("wham"),
             description="World-grounded SMPL motion from WHAM (wham_output.pkl), aligned to the scene through the "
                         "first frame's camera (the paper's w/o OPT_all ablation).")
