"""The module named by the entry point: declares the plugin API version and registers components.

Keep this module import-light: zerohsi imports it whenever plugins are listed. Heavy work (torch, a model's SDK)
belongs in the factory's module, which ``lazy`` imports only when the component is built.
"""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy, requirements

ZEROHSI_PLUGIN_API = 1


def _check(cfg) -> None:
    """What the generator needs before a run starts (a real model: its weights or API keys); zerohsi runs this in
    its preflight and in `zerohsi plugins`, so a missing file is reported in seconds, before anything is paid for."""
    from zerohsi.errors import UserError

    if not cfg.zoom > 0 or not cfg.fps > 0:
        raise UserError("video.generator.options.zoom and .fps must be positive.")


@hookimpl
def register_video_generators(register):
    from zerohsi_example_video.config import CameraMoveConfig

    register("camera_move", lazy("zerohsi_example_video.generator:CameraMoveGenerator"), config=CameraMoveConfig,
             requirements=requirements(_check),
             description="Example plugin: a seeded zoom and pan over the first frame (the camera moves, nothing "
                         "else does).")
