"""Options of the ``mediapipe`` pose initializer."""

from __future__ import annotations

from dataclasses import dataclass

from zerohsi.poseinit.config import KeypointsConfig


@dataclass
class MediaPipeConfig(KeypointsConfig):
    """BlazePose options on top of the keypoint fit's (``file`` and ``layout`` are not used: the detector supplies
    the keypoints).

    min_detection_confidence / min_tracking_confidence: BlazePose's person-detection and landmark-tracking
    thresholds; static_image_mode: detect the person on every frame instead of tracking it from the last one;
    min_size: frames whose shorter side is below this many pixels are upscaled before detection (BlazePose misses
    small people: at 128x96 it finds the anny avatar on about two frames in three, at 256x192 on all).
    """

    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    static_image_mode: bool = False
    min_size: int = 192
