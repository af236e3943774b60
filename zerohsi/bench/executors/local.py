"""Runs a sweep's runs one after another in this process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LocalConfig:
    pass


class LocalExecutor:
    def __init__(self, cfg: LocalConfig | None = None) -> None:
        self.cfg = cfg or LocalConfig()

    def map(self, fn, specs, run_fn=None):
        for spec in specs:
            yield spec, fn(spec, run_fn)
