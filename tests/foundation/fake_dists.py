"""Write fake installed distributions (dist-info + module) into a folder that goes on sys.path / PYTHONPATH."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_dist(root: Path, dist: str, module: str, source: str, ep_name: str | None = None,
               version: str = "0.1.0") -> None:
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[zerohsi]\n{ep_name or module} = {module}\n")


GOOD = """
    from dataclasses import dataclass
    from zerohsi.plugins import hookimpl
    ZEROHSI_PLUGIN_API = 1

    @dataclass
    class Cfg:
        gain: float = 1.0

    @hookimpl
    def register_metrics(register):
        register("{name}", lambda cfg: cfg, config=Cfg, description="test metric")
"""

BROKEN_IMPORT = """
    raise RuntimeError("boom at import")
"""

BROKEN_REGISTER = """
    from zerohsi.plugins import hookimpl
    ZEROHSI_PLUGIN_API = 1

    @hookimpl
    def register_segmenters(register):
        raise ValueError("boom in register")
"""

OLD_API = """
    from zerohsi.plugins import hookimpl
    ZEROHSI_PLUGIN_API = 0

    @hookimpl
    def register_metrics(register):
        register("old_metric", lambda cfg: None)
"""
