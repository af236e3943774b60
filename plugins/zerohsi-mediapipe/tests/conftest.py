"""The plugin's entry point, registered by hand where the package is on the path but not installed."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest


@pytest.fixture(scope="session")
def mediapipe_host():
    """The process-wide plugin host with the ``mediapipe`` pose initializer registered."""
    from zerohsi.plugins import get_host

    host = get_host()
    if "mediapipe" not in host.registry("pose_initializer").entries:
        host.load_entry_points([EntryPoint("mediapipe", "zerohsi_mediapipe.plugin", "zerohsi")])
    return host
