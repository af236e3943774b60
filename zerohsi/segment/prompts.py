"""Frame-0 prompts for promptable segmenters, taken from the rendered (occlusion-aware) masks of avatar and object.

Points are chosen by farthest-point sampling over the visible pixels of each entity, so they cover the whole
silhouette instead of clustering at its centre; an eroded mask is preferred so points sit away from the boundary,
where a rendered mask and the generated video disagree most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import ndimage

from zerohsi.segment.masks import Masks


@dataclass
class EntityPrompt:
    """Prompt for one tracked entity on one frame.

    points (N,2) float pixel coordinates (x, y); labels (N,) int 1 = positive, 0 = negative; box (4,) float
    (x0, y0, x1, y1) pixel box around the visible mask, inclusive of the last pixel, or None when nothing is visible.
    """

    points: np.ndarray
    labels: np.ndarray
    box: Optional[np.ndarray]

    @property
    def empty(self) -> bool:
        return self.box is None


def farthest_point_sample(mask: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k pixels of a bool (H,W) mask, spread out by farthest-point sampling; (min(k, pixels), 2) int (x, y).

    Starts from the pixel deepest inside the mask (largest distance to the background, ties broken by ``seed``) so
    the first point, the one a segmenter relies on most, is the safest one.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) == 0 or k <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    pts = np.stack([xs, ys], axis=1).astype(np.float64)
    depth = ndimage.distance_transform_edt(mask)[ys, xs]
    rng = np.random.default_rng(seed)
    best = np.flatnonzero(depth == depth.max())
    chosen = [int(rng.choice(best))]
    dist = np.full(len(pts), np.inf)
    for _ in range(min(k, len(pts)) - 1):
        dist = np.minimum(dist, ((pts - pts[chosen[-1]]) ** 2).sum(1))
        chosen.append(int(dist.argmax()))
    return pts[chosen].astype(np.int64)


def mask_box(mask: np.ndarray) -> Optional[np.ndarray]:
    """(4,) float (x0, y0, x1, y1) around a bool (H,W) mask, or None if it is empty."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max(), ys.max()], dtype=np.float64)


def _interior(mask: np.ndarray, margin_px: int) -> np.ndarray:
    """The mask eroded by ``margin_px``, or the mask itself when erosion would remove it (thin parts)."""
    if margin_px <= 0:
        return mask
    eroded = ndimage.binary_erosion(mask, iterations=margin_px)
    return eroded if eroded.any() else mask


def entity_prompts(masks: Masks, *, num_positive: int = 3, num_negative: int = 1, margin_px: int = 2,
                   seed: int = 0, frame: int = 0) -> dict[str, EntityPrompt]:
    """Prompts for 'human' and (when present) 'object' from one frame of rendered visible masks.

    num_positive points per entity inside its own visible mask; num_negative points per entity on the other
    entity's mask (none for a static scene); boxes around each visible mask as an alternative prompt.
    """
    own = {"human": masks.human[frame]}
    if masks.object is not None:
        own["object"] = masks.object[frame]
    prompts: dict[str, EntityPrompt] = {}
    for i, (name, mask) in enumerate(own.items()):
        mask = np.asarray(mask, dtype=bool)
        pos = farthest_point_sample(_interior(mask, margin_px), num_positive, seed=seed + i)
        others = [m for n, m in own.items() if n != name]
        neg = np.zeros((0, 2), dtype=np.int64)
        # an entity nobody can see gets no prompt at all: negatives alone would make a segmenter invent a mask
        if others and num_negative > 0 and len(pos):
            other = np.asarray(others[0], dtype=bool) & ~mask
            neg = farthest_point_sample(_interior(other, margin_px), num_negative, seed=seed + 100 + i)
        points = np.concatenate([pos, neg]).astype(np.float32)
        labels = np.concatenate([np.ones(len(pos), np.int32), np.zeros(len(neg), np.int32)])
        prompts[name] = EntityPrompt(points, labels, mask_box(mask))
    return prompts
