from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TemporalSmoothConfig:
    #: standard deviation of the Gaussian filter, in frames
    sigma_frames: float = 1.0
    smooth_translation: bool = True
    smooth_orientation: bool = True
    smooth_pose: bool = True
