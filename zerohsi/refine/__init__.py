"""Refinement of a fitted motion: physics-aware objectives applied by chains of refiners.

Import-light: plugin registration imports this package, so the torch-heavy modules load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Refiner", "apply_refiners", "build_refiners"]


def __getattr__(name: str) -> Any:
    if name == "Refiner":
        from zerohsi.refine.base import Refiner

        return Refiner
    if name in ("apply_refiners", "build_refiners"):
        from zerohsi.refine import chain

        return getattr(chain, name)
    raise AttributeError(f"module 'zerohsi.refine' has no attribute {name!r}")
