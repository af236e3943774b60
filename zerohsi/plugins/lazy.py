"""Factories that import their component only when it is built."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy(target: str) -> Callable[[Any], Any]:
    """A factory for ``"package.module:Name"`` that imports the module on first build and returns ``Name(cfg)``.

    Registration runs whenever plugins are listed; deferring the heavy import (torch, diffusers, sam2, ...) to the
    build keeps ``zerohsi plugins`` fast and lets a broken dependency surface only where the component is used.
    """
    module, sep, attr = target.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"lazy() takes 'package.module:Name', got {target!r}")

    def factory(cfg: Any) -> Any:
        return getattr(importlib.import_module(module), attr)(cfg)

    factory.__qualname__ = factory.__name__ = f"lazy({target})"
    return factory


def requirements(*checks: Callable[[Any], Any]) -> Callable[[Any], list[str]]:
    """A ``requirements`` function (see the hook specs) from checks that raise a UserError when something is
    missing: each check is called with the component's config and every failure becomes one sentence."""
    from zerohsi.errors import UserError

    def missing(cfg: Any) -> list[str]:
        found = []
        for check in checks:
            try:
                check(cfg)
            except UserError as exc:
                found.append(str(exc))
        return found

    return missing
