"""Registers the ``smpler_x`` pose initializer (import-light: the reader is imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_pose_initializers(register):
    from zerohsi.poseinit.config import smpl_adapter_missing
    from zerohsi_smpler_x.config import SmplerXConfig

    register("smpler_x", lazy("zerohsi_smpler_x.reader:SmplerXInitializer"), config=SmplerXConfig,
             requirements=smpl_adapter_missing("smpler_x"),
             description="Per-frame SMPL-X from SMPLer-X (the paper's initializer), retargeted onto the run's body "
                         "through the tracked cameras.")
