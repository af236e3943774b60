"""Options of the ``sam2`` segmenter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from zerohsi.errors import UserError


@dataclass
class Sam2Config:
    """Options of the ``sam2`` segmenter."""

    #: a SAM2 model config: a name inside the sam2 package or a path to a YAML file
    config: str = "configs/sam2.1/sam2.1_hiera_l.yaml"
    #: the matching .pt checkpoint downloaded by the user (required)
    checkpoint: str = ""
    #: auto | cpu | cuda[:N]
    device: str = "auto"
    #: points | box | box+points: how frame 0 is prompted from the rendered masks
    prompt: str = "points"
    #: farthest-point-sampled positive points per entity
    num_points: int = 3
    #: negative points on the other entity
    num_negative: int = 1
    #: model input size override (0: the config's; smaller is faster and coarser)
    image_size: int = 0
    #: keep decoded frames in host memory
    offload_video_to_cpu: bool = True
    #: build the model without a checkpoint: only for testing the code path, the masks are meaningless
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
