"""Built-in components of this role (import-light: heavy modules are imported inside the factories)."""

from __future__ import annotations


def register(register) -> None:
    from zerohsi.segment.config import SceneDifferenceConfig

    def scene_difference(cfg: SceneDifferenceConfig):
        from zerohsi.segment.scene_difference import SceneDifferenceSegmenter

        return SceneDifferenceSegmenter(cfg)

    register("scene_difference", scene_difference, config=SceneDifferenceConfig,
             description="Offline: the frame minus the rendered known scene (camera re-aligned, colours matched), "
                         "split into human and object by colour and the previous frame's masks.")
