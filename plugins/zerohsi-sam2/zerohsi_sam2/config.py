"""Options of the ``sam2`` segmenter."""

from __future__ import annotations

from dataclasses import dataclass


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
