"""Plugin discovery and loading.

Plugins are modules named by entry points in the ``zerohsi`` group. zerohsi's own built-in components are an entry
point of the zerohsi distribution itself, so first- and third-party components take the same road.

A plugin that fails to import, targets another plugin API version, or raises while registering is recorded with its
error and skipped; everything else keeps working. ``ZEROHSI_STRICT_PLUGINS=1`` re-raises instead.
``ZEROHSI_PLUGINS=a,b`` loads only those plugins (entry-point or distribution names; built-ins are always loaded);
``ZEROHSI_PLUGINS_BLOCK=a,b`` skips those.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

import zerohsi
from zerohsi.errors import PluginError, UserError
from zerohsi.plugins.hookspecs import PROJECT, ROLE_HOOKS, ZerohsiSpec
from zerohsi.plugins.registry import Entry, Registry, unknown_name_message

GROUP = "zerohsi"
BUILTIN = "builtin"


@dataclass
class PluginStatus:
    """What happened when a plugin was loaded."""

    name: str
    distribution: str
    version: str
    module: str
    status: str = "ok"  # ok | broken | incompatible | conflict | blocked
    error: str | None = None
    api_version: int | None = None
    hooks: list[str] = field(default_factory=list)
    components: list[tuple[str, str]] = field(default_factory=list)  # (role, name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "status": self.status,
            "error": self.error,
            "api_version": self.api_version,
            "hooks": list(self.hooks),
            "components": [{"role": r, "name": n} for r, n in self.components],
        }


def _env_list(var: str) -> set[str] | None:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


def _strict() -> bool:
    return os.environ.get("ZEROHSI_STRICT_PLUGINS", "").strip().lower() in {"1", "true", "yes"}


class PluginHost:
    """The plugin manager plus one typed registry per role."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(ZerohsiSpec)
        self.registries: dict[str, Registry] = {role: Registry(role) for role in ROLE_HOOKS}
        self.plugins: dict[str, PluginStatus] = {}

    # -- loading -----------------------------------------------------------------------------------------------
    def load_entry_points(self, eps: list[EntryPoint] | None = None) -> None:
        if eps is None:
            eps = sorted(entry_points(group=GROUP), key=lambda e: (e.name != BUILTIN, e.name))
        allow, block = _env_list("ZEROHSI_PLUGINS"), _env_list("ZEROHSI_PLUGINS_BLOCK") or set()
        for ep in eps:
            dist = ep.dist.name if ep.dist is not None else "?"
            ver = ep.dist.version if ep.dist is not None else "?"
            status = PluginStatus(ep.name, dist, ver, ep.value)
            names = {ep.name, dist}
            self.plugins[ep.name] = status
            if ep.name != BUILTIN and (names & block or (allow is not None and not names & allow)):
                status.status = "blocked"
                status.error = "skipped by ZEROHSI_PLUGINS / ZEROHSI_PLUGINS_BLOCK"
                continue
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the CLI down
                self._fail(status, "broken", f"import failed: {type(exc).__name__}: {exc}", exc)
                continue
            self.add_module(module, status)

    def add_module(self, module: Any, status: PluginStatus) -> None:
        """Register an imported plugin module (or object) and run its registration hooks."""
        self.plugins[status.name] = status
        api = getattr(module, "ZEROHSI_PLUGIN_API", None)
        status.api_version = api
        if api != zerohsi.PLUGIN_API_VERSION:
            msg = (
                f"targets zerohsi plugin API {api!r} but this zerohsi ({zerohsi.__version__}) speaks "
                f"{zerohsi.PLUGIN_API_VERSION}; upgrade the plugin or zerohsi"
                if api is not None
                else "declares no ZEROHSI_PLUGIN_API; add `ZEROHSI_PLUGIN_API = "
                f"{zerohsi.PLUGIN_API_VERSION}` to the plugin module"
            )
            self._fail(status, "incompatible", msg, None)
            return
        try:
            self.pm.register(module, name=status.name)
        except Exception as exc:  # noqa: BLE001 - e.g. a hook with a wrong signature
            self._fail(status, "broken", f"invalid hooks: {exc}", exc)
            return
        for role, hook_name in ROLE_HOOKS.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin_name != status.name:
                    continue
                status.hooks.append(hook_name)
                try:
                    impl.function(register=self._registrar(role, status))
                except PluginError as exc:
                    self._fail(status, "conflict", str(exc), exc)
                except Exception as exc:  # noqa: BLE001
                    self._fail(status, "broken", f"{hook_name} raised {type(exc).__name__}: {exc}", exc)

    def _registrar(self, role: str, status: PluginStatus):
        def register(name: str, factory, *, config: type | None = None, description: str = "",
                     requirements=None, columns=()) -> None:
            if not isinstance(name, str) or not name.isidentifier():
                raise PluginError(f"{role} name {name!r} from {status.distribution} must be a Python identifier.")
            if requirements is not None and not callable(requirements):
                raise PluginError(f"{role} '{name}' from {status.distribution} passes requirements={requirements!r}, "
                                  "which is not callable; pass a function of the component's config.")
            entry = Entry(role, name, factory, config, description.strip(), status.name, status.distribution,
                          status.version, requirements, tuple(dict(c) for c in columns))
            self.registries[role].add(entry)
            status.components.append((role, name))

        return register

    def _fail(self, status: PluginStatus, kind: str, message: str, exc: BaseException | None) -> None:
        status.status = kind
        status.error = message
        if exc is not None and _strict():
            raise exc
        if exc is not None and os.environ.get("ZEROHSI_DEBUG"):
            traceback.print_exception(exc)
        if exc is None and _strict():
            raise PluginError(f"plugin '{status.name}' ({status.distribution}): {message}.")

    # -- lookup ------------------------------------------------------------------------------------------------
    def registry(self, role: str) -> Registry:
        try:
            return self.registries[role]
        except KeyError:
            raise UserError(unknown_name_message("role", role, list(ROLE_HOOKS))) from None

    def get(self, role: str, name: str) -> Entry:
        return self.registry(role).get(name)

    def build(self, role: str, name: str, options: Any = None, where: str | None = None) -> Any:
        return self.get(role, name).build(options, where)

    def find(self, name: str) -> list[Entry]:
        """Every entry named ``name``, across roles."""
        return [reg.entries[name] for reg in self.registries.values() if name in reg.entries]

    def entries(self) -> list[Entry]:
        return [e for reg in self.registries.values() for e in sorted(reg.entries.values(), key=lambda e: e.name)]


_HOST: PluginHost | None = None


def get_host(reload: bool = False) -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _HOST
    if _HOST is None or reload:
        host = PluginHost()
        host.load_entry_points()
        _HOST = host
    return _HOST


def resolve_plugin_overrides(names: list[str], host: PluginHost | None = None) -> dict[str, str]:
    """Map ``--plugins kling,smpler_x`` to {role: name}; each name must exist in exactly one role."""
    host = host or get_host()
    chosen: dict[str, str] = {}
    for name in names:
        hits = host.find(name)
        if not hits:
            available = sorted({e.name for e in host.entries()})
            raise PluginError(unknown_name_message("component", name, available))
        if len(hits) > 1:
            roles = ", ".join(e.role for e in hits)
            raise PluginError(f"'{name}' names a component in several roles ({roles}); set it in the config instead.")
        role = hits[0].role
        if role in chosen and role not in MULTI_ROLES:
            raise PluginError(f"--plugins names two {role}s ('{chosen[role]}' and '{name}'); pick one.")
        chosen[role] = name if role not in chosen else f"{chosen[role]},{name}"
    return chosen


#: roles where a run uses a list of components rather than one
MULTI_ROLES = {"refiner", "metric"}
