"""The plugin system: pluggy hooks, entry-point discovery and typed registries."""

from zerohsi.plugins.hookspecs import ROLE_HOOKS, hookimpl
from zerohsi.plugins.lazy import lazy, requirements
from zerohsi.plugins.manager import PluginHost, get_host, resolve_plugin_overrides

__all__ = ["ROLE_HOOKS", "PluginHost", "get_host", "hookimpl", "lazy", "requirements", "resolve_plugin_overrides"]
