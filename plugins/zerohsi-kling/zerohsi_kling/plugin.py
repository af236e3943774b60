"""Entry-point module of zerohsi-kling (import-light: requests/PyJWT are imported by the factory)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy, requirements

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_video_generators(register):
    from zerohsi_kling.auth import KlingCredentials
    from zerohsi_kling.config import KlingConfig

    register("kling", lazy("zerohsi_kling.generator:KlingGenerator"), config=KlingConfig,
             requirements=requirements(lambda cfg: KlingCredentials.from_env()),
             description="KLING image-to-video HTTP API (paid; KLING_ACCESS_KEY / KLING_SECRET_KEY from the "
                         "environment; resumes interrupted tasks).")
