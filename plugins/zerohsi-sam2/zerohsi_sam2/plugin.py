"""Registers the ``sam2`` segmenter (import-light: sam2 and torch are imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_segmenters(register):
    from zerohsi_sam2.config import Sam2Config

    def factory(cfg: Sam2Config):
        from zerohsi_sam2.segmenter import Sam2Segmenter

        return Sam2Segmenter(cfg)

    register("sam2", factory, config=Sam2Config,
             description="SAM2 video predictor tracking the human and the object from rendered frame-0 prompts "
                         "(needs the user's SAM2 checkpoint).")
