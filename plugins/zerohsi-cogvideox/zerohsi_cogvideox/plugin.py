"""Entry-point module of zerohsi-cogvideox (import-light: diffusers is imported when a generator is built)."""

from __future__ import annotations

from zerohsi.plugins import hookimpl, requirements

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_video_generators(register):
    from zerohsi_cogvideox.config import CogVideoXConfig, DiffusersI2VConfig, weights_folder
    from zerohsi_cogvideox.pipelines import PIPELINES

    def cogvideox(cfg: CogVideoXConfig):
        from zerohsi_cogvideox.generator import DiffusersI2VGenerator

        return DiffusersI2VGenerator(cfg, "cogvideox", name="cogvideox")

    def diffusers_i2v(cfg: DiffusersI2VConfig):
        from zerohsi_cogvideox.generator import DiffusersI2VGenerator

        return DiffusersI2VGenerator(cfg, cfg.pipeline)

    needs_weights = requirements(lambda cfg: weights_folder(cfg.weights))
    register("cogvideox", cogvideox, config=CogVideoXConfig, requirements=needs_weights,
             description="CogVideoX image-to-video (diffusers) from a local weights folder; seedable.")
    register("diffusers_i2v", diffusers_i2v, config=DiffusersI2VConfig, requirements=needs_weights,
             description=f"Any diffusers image-to-video pipeline from a local weights folder "
                         f"(pipeline: {', '.join(sorted(PIPELINES))}).")
