"""The hooks a zerohsi plugin may implement: one per component role.

Each hook receives a ``register`` callback::

    @hookimpl
    def register_pose_initializers(register):
        register("constant_velocity", make_initializer, config=ConstantVelocityConfig,
                 description="Extrapolates the previous two fitted poses.")

``register(name, factory, *, config=None, description="", requirements=None)``: ``factory(config)`` builds the
component from an instance of the ``config`` dataclass (validated by zerohsi before the call). Import heavy
libraries inside the factory, never at module import time, so listing plugins stays fast. ``requirements(config)``
returns what the component still needs to run with that config (API keys, weights, model files), one actionable
sentence each, empty when ready; it must be cheap and offline: zerohsi calls it before any stage of a run or sweep
(preflight) and for ``zerohsi plugins``.
"""

from __future__ import annotations

import pluggy

PROJECT = "zerohsi"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: role name -> hook name. The order is the order `zerohsi plugins` lists roles in.
ROLE_HOOKS: dict[str, str] = {
    "video_generator": "register_video_generators",
    "segmenter": "register_segmenters",
    "pose_initializer": "register_pose_initializers",
    "refiner": "register_refiners",
    "body_model": "register_body_models",
    "render_backend": "register_render_backends",
    "metric": "register_metrics",
    "baseline": "register_baselines",
    "executor": "register_executors",
}


class ZerohsiSpec:
    @hookspec
    def register_video_generators(self, register):
        """Register image-to-video generators: factory(config) -> VideoGenerator."""

    @hookspec
    def register_segmenters(self, register):
        """Register video segmenters: factory(config) -> Segmenter."""

    @hookspec
    def register_pose_initializers(self, register):
        """Register per-frame body-pose initializers: factory(config) -> PoseInitializer."""

    @hookspec
    def register_refiners(self, register):
        """Register motion refiners: factory(config) -> Refiner."""

    @hookspec
    def register_body_models(self, register):
        """Register parametric body models: factory(config) -> BodyModel."""

    @hookspec
    def register_render_backends(self, register):
        """Register Gaussian rasterisation backends: factory(config) -> RenderBackend."""

    @hookspec
    def register_metrics(self, register):
        """Register evaluation metrics: factory(config) -> Metric."""

    @hookspec
    def register_baselines(self, register):
        """Register importers of peer methods' output motions: factory(config) -> BaselineImporter."""

    @hookspec
    def register_executors(self, register):
        """Register sweep executors (local, ray, ...): factory(config) -> Executor."""
