"""Registers the ``sam2`` segmenter (import-light: sam2 and torch are imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy, requirements

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_segmenters(register):
    from zerohsi_sam2.config import Sam2Config, checkpoint_file

    register("sam2", lazy("zerohsi_sam2.segmenter:Sam2Segmenter"), config=Sam2Config,
             requirements=requirements(checkpoint_file),
             description="SAM2 video predictor tracking the human and the object from rendered frame-0 prompts "
                         "(needs the user's SAM2 checkpoint).")
