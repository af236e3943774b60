"""Errors a user can cause and fix.

Anything raised as :class:`UserError` is printed by the CLI as one line (no traceback) and exits with code 2.
The message must be one actionable sentence: what is wrong and what to do about it.
"""

from __future__ import annotations

from typing import Optional


def first_line(exc: BaseException, limit: Optional[int] = None) -> str:
    """The first line of an exception's message (no trailing full stop, at most ``limit`` characters), or its type
    name when it has none: the part of a library's error worth quoting inside a one-sentence UserError."""
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".")[:limit] if text else type(exc).__name__


class UserError(Exception):
    """Bad user input: a file, a config key, a plugin name, missing model files or API keys."""

    exit_code = 2


class PluginError(UserError):
    """A plugin could not be loaded, registered or selected."""


class ConfigError(UserError):
    """A configuration file or override is invalid."""
