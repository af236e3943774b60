"""Videos: uint8 frames plus where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass
class Video:
    """frames uint8 (T,H,W,3); fps; provenance: generator, model, prompt, seed, source hash, ..."""

    frames: np.ndarray
    fps: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.dtype != np.uint8 or self.frames.ndim != 4 or self.frames.shape[-1] != 3:
            raise ValueError(f"Video frames must be uint8 (T,H,W,3), got {self.frames.dtype} {self.frames.shape}")

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    def frame(self, t: int, device: str | torch.device = "cpu") -> torch.Tensor:
        """Frame t as float32 (H,W,3) in [0,1]."""
        return torch.from_numpy(self.frames[t]).to(device).float() / 255.0

    def tensor(self, device: str | torch.device = "cpu") -> torch.Tensor:
        """All frames as float32 (T,H,W,3) in [0,1]."""
        return torch.from_numpy(self.frames).to(device).float() / 255.0
