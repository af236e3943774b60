"""Registers the ``gvhmr`` pose initializer (import-light: the reader is imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_pose_initializers(register):
    from zerohsi.poseinit.config import smpl_adapter_missing
    from zerohsi_gvhmr.config import GvhmrConfig

    register("gvhmr", lazy("zerohsi_gvhmr.reader:GvhmrInitializer"), config=GvhmrConfig,
             requirements=smpl_adapter_missing("gvhmr"),
             description="Gravity-aligned SMPL-X motion from GVHMR (hmr4d_results.pt), aligned to the scene through "
                         "the first frame's camera.")
