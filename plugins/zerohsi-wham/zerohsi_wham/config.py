"""Options of the ``wham`` pose initializer."""

from __future__ import annotations

from dataclasses import dataclass

from zerohsi.poseinit.config import SmplAdapterConfig


@dataclass
class WhamConfig(SmplAdapterConfig):
    """WHAM options on top of the shared adapter ones."""

    #: the WHAM track to use (-1: the one seen on most frames)
    track_id: int = -1
    #: the focal length WHAM ran with, in video pixels (0: WHAM's uncalibrated default sqrt(W^2 + H^2))
    focal_px: float = 0.0
    #: world (WHAM's world trajectory, aligned through the first frame's camera) | camera (every frame through the
    #: tracked cameras)
    trajectory: str = "world"
