"""Structured configs, presets and overrides."""

from zerohsi.config.loader import list_presets, load_config, load_saved_config, save_config, to_yaml
from zerohsi.config.schema import ComponentConfig, RunConfig

__all__ = ["ComponentConfig", "RunConfig", "list_presets", "load_config", "load_saved_config", "save_config",
           "to_yaml"]
