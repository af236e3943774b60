"""What a registered component takes and needs: its options (from its config dataclass: name, type, default and a
one-line doc) and whether it is ready to run (keys, weights, model files present), for `zerohsi plugins`.

Field docs are the ``#:`` comment lines right above a field (the Sphinx attribute-doc convention the config modules
already use), joined into one line. One convention for every component config, so `zerohsi plugins show NAME` lists
what each option means without a separate docs table to keep in sync; a subclass field without its own ``#:`` keeps
its base class's doc.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import textwrap
import tokenize
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class OptionInfo:
    name: str
    type: str
    #: the default value (None when the option is required)
    default: Any
    required: bool
    doc: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def component_options(config: type | None) -> list[OptionInfo]:
    """Every field of a component's config dataclass, in declaration order (empty when it takes no options)."""
    if config is None:
        return []
    docs = field_docs(config)
    try:
        hints = typing.get_type_hints(config)
    except Exception:  # noqa: BLE001 - a hint naming an optional package: fall back to the annotation text
        hints = {}
    out = []
    for f in dataclasses.fields(config):
        if not f.init:
            continue
        unset = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = None if unset else (f.default if f.default is not dataclasses.MISSING else f.default_factory())
        required = unset or default == "???"  # OmegaConf's mark of a value the user must give
        default = None if required else default
        out.append(OptionInfo(f.name, type_name(hints.get(f.name, f.type)), _plain(default), required,
                              docs.get(f.name, "")))
    return out


def type_name(tp: Any) -> str:
    """``Optional[int]`` -> ``int | None``, ``list[str]`` -> ``list[str]``, ``float`` -> ``float``."""
    if isinstance(tp, str):
        return tp.replace("Optional[", "").rstrip("]") + " | None" if tp.startswith("Optional[") else tp
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_name(a) for a in args)}]"
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", str(tp))


def _plain(value: Any) -> Any:
    """Defaults as JSON-friendly values (tuples as lists, dataclasses as dicts)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@cache
def field_docs(config: type) -> dict[str, str]:
    """field name -> one-line doc from the ``#:`` comments above it; base classes first, so overrides keep a doc."""
    docs: dict[str, str] = {}
    for cls in reversed(config.__mro__):
        if dataclasses.is_dataclass(cls) and cls is not object:
            docs.update(_class_comment_docs(cls))
    return docs


def _class_comment_docs(cls: type) -> dict[str, str]:
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):  # built in a REPL or from a zip without sources
        return {}
    own = set(getattr(cls, "__annotations__", {}))
    docs: dict[str, str] = {}
    pending: list[str] = []  # the `#:` block seen since the last statement
    line_tokens: list[tokenize.TokenInfo] = []
    for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(source)).readline):
        if tok.type == tokenize.COMMENT and not line_tokens:
            text = tok.string[1:]
            if text.startswith(":"):
                pending.append(text[1:].strip())
            continue
        if tok.type == tokenize.NL and not line_tokens:
            continue
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            _take(line_tokens, pending, own, docs)
            line_tokens, pending = [], []
            continue
        if tok.type in (tokenize.INDENT, tokenize.DEDENT):
            continue
        line_tokens.append(tok)
    return docs


def _take(tokens: list[tokenize.TokenInfo], pending: list[str], own: set[str], docs: dict[str, str]) -> None:
    """Record the ``#:`` block above a ``name: type = ...`` line as that field's doc."""
    if len(tokens) < 2 or tokens[0].type != tokenize.NAME or tokens[1].string != ":" or tokens[0].string not in own:
        return
    if pending:
        docs[tokens[0].string] = " ".join(pending)


def readiness(entry: Any, options: Any = None) -> tuple[str, list[str]]:
    """("ready" | "missing" | "loaded", what is missing, one sentence each).

    "loaded" means imported but not checkable: the entry has no ``missing(options)`` check (an older registry) or the
    check itself failed. "missing" lists what the component needs before it can run, e.g. an API key or weights.
    """
    check = getattr(entry, "missing", None)
    if not callable(check):
        return "loaded", []
    try:
        missing = [str(m) for m in (check(options) or [])]
    except Exception as exc:  # noqa: BLE001 - a broken check must not hide the other components
        from zerohsi.errors import first_line

        return "loaded", [f"its readiness check failed: {first_line(exc)}"]
    return ("missing" if missing else "ready"), missing


def describe(entry: Any) -> dict[str, Any]:
    """The JSON form of one component: identity, readiness and every option."""
    status, missing = readiness(entry)
    return {"role": entry.role, "name": entry.name, "description": entry.description, "plugin": entry.plugin,
            "distribution": entry.distribution, "version": entry.version, "status": status, "missing": missing,
            "options": [o.as_dict() for o in component_options(entry.config)]}

