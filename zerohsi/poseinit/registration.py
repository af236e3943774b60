"""Built-in components of this role (import-light: heavy modules are imported inside the factories)."""

from __future__ import annotations


def register(register) -> None:
    from zerohsi.poseinit.config import KeypointsConfig, PreviousFrameConfig, RestConfig

    def previous_frame(cfg: PreviousFrameConfig):
        from zerohsi.poseinit.simple import PreviousFrameInitializer

        return PreviousFrameInitializer(cfg)

    def rest(cfg: RestConfig):
        from zerohsi.poseinit.simple import RestInitializer

        return RestInitializer(cfg)

    def keypoint_fit(cfg: KeypointsConfig):
        from zerohsi.poseinit.keypoints import KeypointsInitializer

        return KeypointsInitializer(cfg)

    register("previous_frame", previous_frame, config=PreviousFrameConfig,
             description="Each frame's fit starts from the previous frame's fitted pose (offline default).")
    register("rest", rest, config=RestConfig,
             description="Every frame starts from the body model's rest pose (or the initial state's pose).")
    register("keypoint_fit", keypoint_fit, config=KeypointsConfig,
             description="Fits the body to a person's 2-D or 3-D keypoints from a file (COCO-17 or CORE_JOINTS order).")
