"""Options of the ``smpler_x`` pose initializer."""

from __future__ import annotations

from dataclasses import dataclass

from zerohsi.poseinit.config import SmplAdapterConfig


@dataclass
class SmplerXConfig(SmplAdapterConfig):
    """SMPLer-X options on top of the shared adapter ones (``output``: the tool's output folder, holding ``smplx/``
    npz and ``meta/`` json files)."""

    #: the number SMPLer-X's demo gives the clip's first frame in its file names (its demo counts from 1)
    first_frame_number: int = 1
