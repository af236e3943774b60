"""Typed registries: one per role, each mapping a short name to a component factory."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zerohsi.errors import PluginError


@dataclass(frozen=True)
class Entry:
    """One registered component."""

    role: str
    name: str
    factory: Callable[[Any], Any]
    config: type | None
    description: str
    plugin: str  # entry-point name of the plugin that registered it
    distribution: str
    version: str
    #: ``requirements(cfg) -> list[str]``: the component's missing requirements for a validated config (see missing)
    requirements: Callable[[Any], list[str]] | None = None
    #: metrics only: the values it produces, as table columns ({key, label, better, unit, tables}); ``tables`` names
    #: the benchmark tables (e.g. ["table1"], or ["all"]) the column is added to, beside the paper's own columns
    columns: tuple = ()

    def default_config(self) -> Any:
        return self.config() if self.config is not None else None

    def build(self, options: Any = None, where: str | None = None) -> Any:
        """Validate ``options`` (mapping, dataclass instance or None) against the entry's config and build."""
        from zerohsi.config.validate import validate_component_options

        cfg = validate_component_options(self, options, where)
        return self.factory(cfg)

    def missing(self, options: Any = None, where: str | None = None) -> list[str]:
        """What this component still needs before it can run with ``options`` (API keys, weights, model files),
        one sentence each; empty when it is ready. Cheap and offline: nothing is built, downloaded or paid for."""
        from zerohsi.config.validate import validate_component_options
        from zerohsi.errors import ConfigError

        try:
            cfg = validate_component_options(self, options, where)
        except ConfigError as exc:  # e.g. a mandatory option (weights) not set
            return [str(exc)]
        return [] if self.requirements is None else list(self.requirements(cfg))


@dataclass
class Registry:
    """All entries of one role."""

    role: str
    entries: dict[str, Entry] = field(default_factory=dict)
    #: names registered by more than one distribution: name -> the clashing entries
    conflicts: dict[str, list[Entry]] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        if entry.config is not None and not dataclasses.is_dataclass(entry.config):
            raise PluginError(
                f"{entry.role} '{entry.name}' from {entry.distribution} declares config={entry.config!r}, "
                "which is not a dataclass; pass the component's config dataclass."
            )
        if entry.name in self.conflicts:
            self.conflicts[entry.name].append(entry)
            raise PluginError(self._conflict_message(entry.name))
        if entry.name in self.entries:
            first = self.entries.pop(entry.name)
            self.conflicts[entry.name] = [first, entry]
            raise PluginError(self._conflict_message(entry.name))
        self.entries[entry.name] = entry

    def _conflict_message(self, name: str) -> str:
        who = " and ".join(f"{e.distribution} {e.version} (plugin '{e.plugin}')" for e in self.conflicts[name])
        return (
            f"{self.role} '{name}' is registered by both {who}; uninstall one of them or block one with "
            "ZEROHSI_PLUGINS_BLOCK."
        )

    def names(self) -> list[str]:
        return sorted(self.entries)

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def get(self, name: str) -> Entry:
        if name in self.conflicts:
            raise PluginError(self._conflict_message(name))
        try:
            return self.entries[name]
        except KeyError:
            raise PluginError(unknown_name_message(self.role, name, self.names())) from None


def unknown_name_message(role: str, name: str, available: list[str]) -> str:
    close = difflib.get_close_matches(name, available, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    listing = ", ".join(available) if available else "none installed"
    return f"Unknown {role} '{name}' (available: {listing}).{hint} Run `zerohsi plugins` to see every component."
