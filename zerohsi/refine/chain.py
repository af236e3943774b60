"""Refiners applied in the order the config lists them, each reporting its loss terms before and after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

from zerohsi.motion import Motion
from zerohsi.refine.base import Refiner

if TYPE_CHECKING:
    from zerohsi.clip_setup import Setup
    from zerohsi.plugins.manager import PluginHost


def build_refiners(components: Sequence[Any], host: Optional[PluginHost] = None) -> list[tuple[str, Refiner]]:
    """Build (name, refiner) pairs from the config's ``refiners`` list (ComponentConfig-like: name + options)."""
    from zerohsi.plugins import get_host

    host = host or get_host()
    built = []
    for comp in components:
        name = comp if isinstance(comp, str) else comp.name
        options = None if isinstance(comp, str) else getattr(comp, "options", None)
        built.append((name, host.build("refiner", name, options)))
    return built


def apply_refiners(refiners: Sequence[Refiner | tuple[str, Refiner]], motion: Motion,
                   setup: Optional[Setup]) -> tuple[Motion, list[dict[str, Any]]]:
    """Run ``refiners`` one after the other on ``motion``.

    Returns the refined motion and one report per refiner: {'refiner': name, 'before': {...}, 'after': {...}}.
    """
    reports = []
    for item in refiners:
        name, refiner = item if isinstance(item, tuple) else (getattr(item, "name", type(item).__name__), item)
        motion, losses = refiner.refine(motion, setup)
        reports.append({"refiner": name, "before": dict(losses.get("before", {})),
                        "after": dict(losses.get("after", {}))})
    return motion, reports
