"""Registers the ``mediapipe`` pose initializer (import-light: mediapipe is imported when it is built)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_pose_initializers(register):
    from zerohsi_mediapipe.config import MediaPipeConfig

    def mediapipe(cfg: MediaPipeConfig):
        from zerohsi.poseinit.keypoints import KeypointsInitializer
        from zerohsi_mediapipe.detector import BlazePoseDetector

        return KeypointsInitializer(cfg, detector=BlazePoseDetector(cfg))

    register("mediapipe", mediapipe, config=MediaPipeConfig,
             description="Per-frame poses fitted to MediaPipe BlazePose's 2-D landmarks (offline, CPU); its world "
                         "landmarks tell which limb is nearer the camera.")
