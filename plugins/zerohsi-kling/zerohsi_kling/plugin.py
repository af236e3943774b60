"""Entry-point module of zerohsi-kling (import-light: requests/PyJWT are imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_video_generators(register):
    from zerohsi_kling.config import KlingConfig

    def factory(cfg: KlingConfig):
        from zerohsi_kling.generator import KlingGenerator

        return KlingGenerator(cfg)

    register("kling", factory, config=KlingConfig,
             description="KLING image-to-video HTTP API (paid; KLING_ACCESS_KEY / KLING_SECRET_KEY from the "
                         "environment; resumes interrupted tasks).")
