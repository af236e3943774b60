"""Registers the ``gvhmr`` pose initializer (import-light: the reader is imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_pose_initializers(register):
    from zerohsi_gvhmr.config import GvhmrConfig

    def factory(cfg: GvhmrConfig):
        from zerohsi_gvhmr.reader import GvhmrInitializer

        return GvhmrInitializer(cfg)

    register("gvhmr", factory, config=GvhmrConfig,
             description="Gravity-aligned SMPL-X motion from GVHMR (hmr4d_results.pt), aligned to the scene through "
                         "the first frame's camera.")
