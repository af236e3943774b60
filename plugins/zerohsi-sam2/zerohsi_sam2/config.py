"""Options of the ``sam2`` segmenter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from zerohsi.errors import UserError


@dataclass
class Sam2Config:
    """config: a SAM2 model config, either a name inside the sam2 package (``configs/sam2.1/sam2.1_hiera_l.yaml``)
    or a path to a YAML file; checkpoint: the matching ``.pt`` checkpoint downloaded by the user (required);
    device: auto | cpu | cuda[:N]; prompt: points | box | box+points — how frame 0 is prompted from the rendered masks;
    num_points / num_negative: farthest-point-sampled positive points per entity / negative points on the other one;
    image_size: model input size override (0: the config's; smaller is faster and coarser); offload_video_to_cpu:
    keep decoded frames in host memory; random_weights: build the model without a checkpoint — only for testing the
    code path, the masks are meaningless.
    """

    config: str = "configs/sam2.1/sam2.1_hiera_l.yaml"
    checkpoint: str = ""
    device: str = "auto"
    prompt: str = "points"
    num_points: int = 3
    num_negative: int = 1
    image_size: int = 0
    offload_video_to_cpu: bool = True
    random_weights: bool = False


def checkpoint_file(cfg: Sam2Config) -> Optional[Path]:
    """The SAM2 checkpoint to load (None with random_weights); a UserError when it is not set or not there."""
    if cfg.random_weights:
        return None
    if not cfg.checkpoint:
        raise UserError("The sam2 segmenter needs a checkpoint; set segmenter.options.checkpoint to the SAM2 .pt "
                        "file matching segmenter.options.config.")
    ckpt = Path(cfg.checkpoint).expanduser()
    if not ckpt.is_file():
        raise UserError(f"SAM2 checkpoint {ckpt} does not exist; download it and set segmenter.options.checkpoint "
                        "to its path.")
    return ckpt
