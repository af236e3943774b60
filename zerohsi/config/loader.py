"""Loading presets (``configs/*.yaml``), merging overrides and saving the resolved config."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from zerohsi.config.schema import ROLE_FIELDS, ComponentConfig, RunConfig
from zerohsi.config.validate import merge_into, to_object
from zerohsi.errors import ConfigError

EXTENDS_KEY = "extends"


def config_dirs() -> list[Path]:
    """Where preset names are looked up: $ZEROHSI_CONFIG_DIR, then the source tree's configs/."""
    dirs = []
    if os.environ.get("ZEROHSI_CONFIG_DIR"):
        dirs.append(Path(os.environ["ZEROHSI_CONFIG_DIR"]))
    dirs.append(Path(__file__).resolve().parents[2] / "configs")
    return [d for d in dirs if d.is_dir()]


def list_presets() -> list[str]:
    names: set[str] = set()
    for d in config_dirs():
        names.update(str(p.relative_to(d).with_suffix("")) for p in d.rglob("*.yaml"))
    return sorted(names)


def find_preset(name_or_path: str | os.PathLike) -> Path:
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} and path.is_file():
        return path
    for d in config_dirs():
        cand = d / f"{name_or_path}.yaml"
        if cand.is_file():
            return cand
    if path.suffix in {".yaml", ".yml"}:
        raise ConfigError(f"Config file '{path}' does not exist; check the path.")
    raise ConfigError(f"Unknown preset '{name_or_path}'; available presets: {', '.join(list_presets()) or 'none'}.")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"Config file '{path}' is not valid YAML{where}; fix its syntax.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read config file '{path}': {exc.strerror}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Config file '{path}' must hold a mapping of keys, not a {type(data).__name__}.")
    return data


def preset_layers(name_or_path: str | os.PathLike, _seen: tuple[Path, ...] = ()) -> list[dict[str, Any]]:
    """The YAML layers of a preset, base first (``extends: other_preset`` chains)."""
    path = find_preset(name_or_path).resolve()
    if path in _seen:
        raise ConfigError(f"Preset '{path.name}' extends itself through a cycle; fix its 'extends' key.")
    data = _read_yaml(path)
    parent = data.pop(EXTENDS_KEY, None)
    layers = preset_layers(parent, _seen + (path,)) if parent else []
    return layers + [data]


def parse_overrides(overrides: Iterable[str]) -> DictConfig:
    items = list(overrides)
    for item in items:
        if "=" not in item:
            raise ConfigError(f"Override '{item}' must look like key=value, e.g. fit.iters=50.")
    try:
        return OmegaConf.from_dotlist(items)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"Cannot parse overrides {items}: {str(exc).splitlines()[0]}.") from None


def load_config(
    preset: str | os.PathLike | None = "demo",
    overrides: Iterable[str] = (),
    plugins: dict[str, str] | None = None,
) -> RunConfig:
    """Preset layers, then ``--plugins`` choices, then dot-list overrides, validated against :class:`RunConfig`.

    The choices come before the overrides so that ``--plugins kling video.generator.options.mode=pro`` sets kling's
    options; a choice keeps the preset's options when the preset already names that component."""
    layers: list[Any] = preset_layers(preset) if preset else []
    cli = parse_overrides(overrides)
    whole = merge_into(RunConfig, *layers, cli)  # to read what the preset and the command line say together
    if whole.instance.file:
        # the instance file's clip length, and its camera's aspect (the render keeps the configured width), sit
        # between the preset and the command line: overrides still win
        from zerohsi.scenes.instance_file import load_instance_file

        inst = load_instance_file(whole.instance.file)
        height = max(8, round(whole.render.width * inst.camera.height / inst.camera.width))
        layers.append({"video": {"num_frames": inst.num_frames, "fps": inst.fps}, "render": {"height": height}})
    node = merge_into(RunConfig, *layers)
    if plugins:
        node = apply_plugin_choices(node, plugins)
    node = merge_into(node, cli)
    if node.instance.file:  # saved configs must find the file again from any folder (`zerohsi outputs`, --resume)
        node.instance.file = str(Path(node.instance.file).expanduser().resolve())
    return to_object(node)


def apply_plugin_choices(node: DictConfig, chosen: dict[str, str]) -> DictConfig:
    """Replace each role's default by the named component (``zerohsi bench --plugins kling,smpler_x``); metrics are
    added to the run's list instead (an empty list already means every registered metric)."""
    for role, name in chosen.items():
        if role == "refiner":
            preset = {r.name: r for r in node.refiners}
            node.refiners = [preset.get(n) or OmegaConf.structured(ComponentConfig(name=n)) for n in name.split(",")]
        elif role == "metric":
            if node.metrics:
                node.metrics = list(dict.fromkeys([*node.metrics, *name.split(",")]))
        elif role == "render_backend":
            node.render.backend = name
        elif role in ROLE_FIELDS:
            if OmegaConf.select(node, f"{ROLE_FIELDS[role]}.name") != name:
                OmegaConf.update(node, ROLE_FIELDS[role], OmegaConf.structured(ComponentConfig(name=name)),
                                 merge=False)
        else:
            raise ConfigError(f"--plugins cannot select a {role} ('{name}'); set it where it is used instead.")
    return node


def to_yaml(cfg: RunConfig | DictConfig) -> str:
    return OmegaConf.to_yaml(OmegaConf.structured(cfg) if not isinstance(cfg, DictConfig) else cfg)


def save_config(cfg: RunConfig, path: str | os.PathLike) -> None:
    from zerohsi.io import atomic_write_text

    atomic_write_text(path, to_yaml(cfg))


def load_saved_config(path: str | os.PathLike) -> RunConfig:
    return to_object(merge_into(RunConfig, _read_yaml(Path(path))))
