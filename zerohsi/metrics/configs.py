"""Config dataclasses of the built-in metrics, in a module with no heavy imports (registration reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class ClipConfig:
    #: an open_clip architecture name (``open_clip.list_models()``) or ``local-dir:PATH`` holding open_clip_config.json
    model: str = "ViT-B-32"
    #: local weights file (.pt/.bin/.safetensors); default $ZEROHSI_CLIP_WEIGHTS; "random" for random weights
    weights: Optional[str] = None
    #: overrides of the architecture's open_clip config (embed_dim, vision_cfg, text_cfg), for custom variants
    architecture: dict[str, Any] = field(default_factory=dict)
    #: which frames are scored: "rendered" (the reconstruction rendered with the run's avatar, object, scene and
    #: tracked cameras; the paper's protocol) or "video" (the source video: keys get a ``_source`` suffix)
    frames: str = "rendered"
    #: frames embedded per CLIP forward pass
    batch_size: int = 16
    #: auto | cpu | cuda[:N]
    device: str = "auto"


@dataclass
class PenetrationConfig:
    #: SDF values above -tolerance_m count as "not inside" for pene_pct / pene_frames (slack of grid SDFs)
    tolerance_m: float = 0.0
    #: count the solid below the floor as scene (the scene SDF as is); False scores furniture and walls only
    include_floor: bool = True


@dataclass
class ObjectPenetrationConfig:
    #: which body vertices are tested: "hands" (CHOIS) or "body" (every vertex)
    vertices: str = "hands"


@dataclass
class ContactConfig:
    #: a frame is in contact when a hand point is within this distance of the object surface (CHOIS: 5 cm)
    threshold_m: float = 0.05
    #: "joints": the left/right hand core joints (CHOIS); "vertices": every hand vertex
    hand_points: str = "joints"


@dataclass
class FootSlidingConfig:
    #: "toes": floor height from the heights of near-static toes (NeMF); "scene": ctx.scene.floor_height
    floor: str = "toes"
    #: a toe moving slower than this (m/s) counts as static when estimating the floor
    static_speed_mps: float = 0.2
    #: toe heights further apart than this (m) fall into different clusters
    cluster_gap_m: float = 0.05
