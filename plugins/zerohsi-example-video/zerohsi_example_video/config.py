"""Options of the ``camera_move`` generator (a dataclass, imported when plugins are listed: keep it light)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CameraMoveConfig:
    #: zoom at the last frame relative to the first (1.0: none; 1.2: the view narrows by 20 %)
    zoom: float = 1.15
    #: largest pan over the clip, as a fraction of the image size; its direction is drawn from the request's seed
    pan: float = 0.05
    #: the generator's native frame rate (the pipeline resamples the clip to the run's rate)
    fps: float = 10.0
