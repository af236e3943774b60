from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TemporalSmoothConfig:
    #: standard deviation of the Gaussian filter, in frames
    sigma_frames: float = 1.0
    #: smooth the root translation
    smooth_translation: bool = True
    #: smooth the root (global) orientation
    smooth_orientation: bool = True
    #: smooth the body pose
    smooth_pose: bool = True
