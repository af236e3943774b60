"""Built-in components of this role (import-light: heavy modules are imported inside the factories)."""

from __future__ import annotations


def register(register) -> None:
    pass
