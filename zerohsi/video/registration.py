"""Built-in components of this role (import-light: heavy modules are imported inside the factories)."""

from __future__ import annotations

from zerohsi.video.configs import FileVideoConfig, ScriptedConfig, require_clip


def _scripted(cfg: ScriptedConfig):
    from zerohsi.video.scripted.source import ScriptedTestSignal

    return ScriptedTestSignal(cfg)


def _file(cfg: FileVideoConfig):
    from zerohsi.video.file import FileVideoSource

    return FileVideoSource(cfg)


def register(register) -> None:
    register("scripted", _scripted, config=ScriptedConfig,
             description="TEST SIGNAL (offline): renders a known ground-truth motion program with an appearance "
                         "gap and saves the ground truth beside it; for measuring reconstruction accuracy.")
    from zerohsi.plugins.lazy import requirements

    register("file", _file, config=FileVideoConfig, requirements=requirements(require_clip),
             description="Imports a clip generated elsewhere (mp4/webm or a folder of frames), checked against I0.")
