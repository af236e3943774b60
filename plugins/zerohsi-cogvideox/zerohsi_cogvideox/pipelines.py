"""Short names of the diffusers image-to-video pipelines zerohsi can drive (a name, never an import path)."""

from __future__ import annotations

#: short name -> diffusers pipeline class name
PIPELINES: dict[str, str] = {
    "cogvideox": "CogVideoXImageToVideoPipeline",
    "svd": "StableVideoDiffusionPipeline",
    "ltx": "LTXImageToVideoPipeline",
    "wan": "WanImageToVideoPipeline",
    "hunyuan_video": "HunyuanVideoImageToVideoPipeline",
    "i2vgen_xl": "I2VGenXLPipeline",
}
