"""The module named by the entry point: declares the plugin API version and registers components.

Keep this module import-light: zerohsi imports it when listing plugins. Heavy work lives in the factory's module.
"""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_refiners(register):
    from zerohsi_example.config import TemporalSmoothConfig

    register("temporal_smooth", lazy("zerohsi_example.smoothing:TemporalSmoothRefiner"), config=TemporalSmoothConfig,
             description="Gaussian temporal filter on root trajectory, orientation and body pose (example plugin).")
