"""Options of the ``mediapipe`` pose initializer."""

from __future__ import annotations

from dataclasses import dataclass

from zerohsi.poseinit.config import KeypointsConfig


@dataclass
class MediaPipeConfig(KeypointsConfig):
    """BlazePose options on top of the keypoint fit's (``file`` and ``layout`` are not used: the detector supplies
    the keypoints).

    start defaults to "previous" here: on the test signal, starting each frame from the keypoint-fitted pose measured
    worse (98 mm MPJPE over 20 demo frames) than from the previous fitted pose with the keypoints as the fit's evidence
    (66 mm): one view's keypoints leave the depth of the limbs open, the previous frame does not.
    """

    #: BlazePose's person-detection threshold
    min_detection_confidence: float = 0.5
    #: BlazePose's landmark-tracking threshold (below it the person is detected again)
    min_tracking_confidence: float = 0.5
    #: detect the person on every frame instead of tracking it from the last one
    static_image_mode: bool = False
    #: frames whose shorter side is below this many pixels are upscaled before detection (BlazePose misses small
    #: people: at 128x96 it finds the anny avatar on about two frames in three, at 256x192 on all)
    min_size: int = 192
    start: str = "previous"
