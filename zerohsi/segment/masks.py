"""Per-frame human and object masks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np


@dataclass
class Masks:
    """human bool (T,H,W); object bool (T,H,W) or None for static scenes; provenance: what produced them
    (``segmenter`` name, ``random_weights`` when a learned segmenter ran without its checkpoint, ...)."""

    human: np.ndarray
    object: Optional[np.ndarray] = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.human.shape[0])

    def union_upto(self) -> np.ndarray:
        """(T,H,W) bool: pixels covered by the human or object in any frame up to t (camera tracking ignores them)."""
        fg = self.human if self.object is None else (self.human | self.object)
        return np.logical_or.accumulate(fg, axis=0)


def resize_mask(mask: np.ndarray, H: int, W: int) -> np.ndarray:
    """(h,w) mask -> (H,W) bool by nearest neighbour (rendered masks may be at another resolution than the video)."""
    if mask.shape == (H, W):
        return mask.astype(bool)
    ys = (np.arange(H) * mask.shape[0] / H).astype(np.int64)
    xs = (np.arange(W) * mask.shape[1] / W).astype(np.int64)
    return mask[ys][:, xs].astype(bool)
