"""Where a result came from: code revision, config hash, plugin versions."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from pathlib import Path
from typing import Any


def git_revision(path: Path | None = None) -> str:
    """The source tree's commit (with '+dirty' when it has local changes), or 'unknown' outside a git checkout."""
    root = path or Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "") if rev else "unknown"


def config_hash(cfg: Any) -> str:
    """Short sha256 of a config's resolved YAML (the same settings give the same hash)."""
    from zerohsi.config import to_yaml

    return hashlib.sha256(to_yaml(cfg).encode()).hexdigest()[:12]


def plugin_versions() -> dict[str, str]:
    """Distribution name -> version of every loaded plugin (zerohsi's own built-ins included)."""
    from zerohsi.plugins import get_host

    return {p.distribution: p.version for p in get_host().plugins.values() if p.status == "ok"}


def provenance() -> dict[str, Any]:
    import zerohsi

    return {"zerohsi_version": zerohsi.__version__, "git_revision": git_revision(),
            "python": platform.python_version(), "plugins": plugin_versions()}
