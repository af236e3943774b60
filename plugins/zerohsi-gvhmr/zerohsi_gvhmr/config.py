"""Options of the ``gvhmr`` pose initializer."""

from __future__ import annotations

from dataclasses import dataclass

from zerohsi.poseinit.config import SmplAdapterConfig


@dataclass
class GvhmrConfig(SmplAdapterConfig):
    """GVHMR options on top of the shared adapter ones."""

    #: world (GVHMR's gravity-aligned trajectory, aligned through the first frame's camera) | camera (its in-camera
    #: results through the tracked cameras)
    trajectory: str = "world"
