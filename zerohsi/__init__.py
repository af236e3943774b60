"""zerohsi: zero-shot 4D human-scene interaction from video generation.

Heavy modules are imported lazily so `import zerohsi` and the CLI's `--help` stay fast.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zerohsi")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

#: The plugin API version this zerohsi implements; plugins declare the version they target.
PLUGIN_API_VERSION = 1


def run(config="demo", overrides=(), **kwargs):
    """Run the full pipeline for a config (preset name, YAML path or RunConfig) with dot-list overrides; see
    :func:`zerohsi.pipeline.run` for the keyword arguments (run_dir, resume, progress)."""
    from zerohsi.pipeline import run as _run

    return _run(config, overrides, **kwargs)


__all__ = ["PLUGIN_API_VERSION", "__version__", "run"]
