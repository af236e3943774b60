"""The refiner interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from zerohsi.motion import Motion

if TYPE_CHECKING:
    from zerohsi.clip_setup import Setup


@runtime_checkable
class Refiner(Protocol):
    def refine(self, motion: Motion, setup: Setup) -> tuple[Motion, dict[str, dict[str, float]]]:
        """Return the refined motion and its loss terms {'before': {...}, 'after': {...}}."""
        ...
