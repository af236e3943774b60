"""Validation of config mappings against dataclasses, with one-sentence errors naming the closest valid key."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from zerohsi.errors import ConfigError, first_line


def _closest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(sorted(valid))}."


def check_unknown_keys(schema: DictConfig, data: Any, where: str) -> None:
    """Raise ConfigError for the first key in ``data`` that the structured ``schema`` does not have."""
    if not isinstance(data, (Mapping, DictConfig)) or not isinstance(schema, DictConfig):
        return
    if OmegaConf.get_type(schema) in (dict, None) and not dataclasses.is_dataclass(OmegaConf.get_type(schema)):
        return  # a free-form mapping (e.g. component options): validated by the component itself
    valid = [str(k) for k in schema.keys()]
    for key in data.keys():
        path = f"{where}.{key}" if where else str(key)
        if key not in valid:
            raise ConfigError(f"Unknown config key '{path}'{_closest(str(key), valid)}")
        sub = schema._get_node(key)
        if isinstance(sub, DictConfig) and not sub._is_missing() and not sub._is_none():
            check_unknown_keys(sub, data[key], path)
        elif isinstance(sub, ListConfig) and isinstance(data[key], (list, ListConfig)):
            element_type = sub._metadata.element_type
            if dataclasses.is_dataclass(element_type):
                item_schema = OmegaConf.structured(element_type)
                for i, item in enumerate(data[key]):
                    check_unknown_keys(item_schema, item, f"{path}[{i}]")


def merge_into(schema_cls_or_node: Any, *layers: Any, where: str = "") -> DictConfig:
    """Merge plain mappings onto a structured config, translating OmegaConf's errors into ConfigErrors."""
    base = schema_cls_or_node
    if not isinstance(base, DictConfig):
        base = OmegaConf.structured(base)
    for layer in layers:
        if layer is None:
            continue
        if dataclasses.is_dataclass(layer) and not isinstance(layer, type):
            layer = OmegaConf.structured(layer)
        check_unknown_keys(base, layer, where)
        try:
            base = OmegaConf.merge(base, layer)
        except OmegaConfBaseException as exc:
            raise ConfigError(f"Invalid value for config key '{_key_path(exc, where)}': {first_line(exc)}.") from None
    return base


def _key_path(exc: OmegaConfBaseException, where: str) -> str:
    """The user's path of the key an OmegaConf error is about (``where`` is the path of the node validated)."""
    key = getattr(exc, "full_key", None)
    if not key:
        return where or "?"
    return f"{where}.{key}" if where and where != "config" else str(key)


def to_object(node: DictConfig, where: str = "config") -> Any:
    try:
        return OmegaConf.to_object(node)
    except MissingMandatoryValue as exc:
        raise ConfigError(f"Config key '{_key_path(exc, where)}' must be set; add it to the config or pass "
                          f"{_key_path(exc, where)}=VALUE.") from None
    except OmegaConfBaseException as exc:
        raise ConfigError(f"Config key '{_key_path(exc, where)}' is invalid or missing: {first_line(exc)}.") from None


def options_path(role: str) -> str:
    """Where a role's component options live in the run config, as the user types them."""
    from zerohsi.config.schema import ROLE_FIELDS

    if role == "refiner":
        return "refiners[].options"
    return f"{ROLE_FIELDS[role]}.options" if role in ROLE_FIELDS and role != "render_backend" else f"{role}.options"


def validate_component_options(entry: Any, options: Any, where: str | None = None) -> Any:
    """Build an instance of ``entry.config`` from ``options`` (mapping, dataclass instance or None); errors name
    keys by ``where`` (default: the role's options path in the run config, e.g. ``video.generator.options``)."""
    where = where or options_path(entry.role)
    if entry.config is None:
        if options:
            raise ConfigError(f"The {entry.role} '{entry.name}' takes no options, but {where} sets: "
                              f"{', '.join(map(str, dict(options)))}.")
        return None
    if isinstance(options, entry.config):
        return options
    if isinstance(options, DictConfig):
        options = OmegaConf.to_container(options, resolve=True)
    return to_object(merge_into(entry.config, options or {}, where=where), where)
