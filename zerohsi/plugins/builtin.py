"""zerohsi's built-in components, registered through the same hooks as any third-party plugin.

Each role's built-ins live next to their code in a small ``registration`` module that imports nothing heavy.
"""

from __future__ import annotations

import importlib

from zerohsi.plugins.hookspecs import hookimpl

ZEROHSI_PLUGIN_API = 1


def _delegate(module: str, register) -> None:
    importlib.import_module(module).register(register)


@hookimpl
def register_video_generators(register):
    _delegate("zerohsi.video.registration", register)


@hookimpl
def register_segmenters(register):
    _delegate("zerohsi.segment.registration", register)


@hookimpl
def register_pose_initializers(register):
    _delegate("zerohsi.poseinit.registration", register)


@hookimpl
def register_refiners(register):
    _delegate("zerohsi.refine.registration", register)


@hookimpl
def register_body_models(register):
    _delegate("zerohsi.body.registration", register)


@hookimpl
def register_render_backends(register):
    _delegate("zerohsi.render.registration", register)


@hookimpl
def register_metrics(register):
    _delegate("zerohsi.metrics.registration", register)


@hookimpl
def register_baselines(register):
    _delegate("zerohsi.bench.baselines.registration", register)


@hookimpl
def register_executors(register):
    _delegate("zerohsi.bench.executors.registration", register)
