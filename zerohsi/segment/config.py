"""Options of the built-in segmenters (dataclasses only: imported when plugins are listed)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SceneDifferenceConfig:
    """Options of ``scene_difference``.

    background: the colour rendered where no scene Gaussian covers a pixel (the run's render.background);
    align_iters: Gauss-Newton steps of the photometric camera alignment per frame when no cameras are given
    (0: keep the previous frame's camera); align_max_side_px: the alignment works on images downsampled to at most
    this many pixels along the longer side; align_margin_frac: the scene is rendered with this fraction of the image
    size added on every side, the most the camera may turn between frames; blur_px: Gaussian blur (std, pixels) applied
    to frame and render before differencing, against noise; min_difference: the smallest colour distance (RGB in
    [0,1], Euclidean) counted as foreground; noise_sigmas: the threshold is also at least this many robust standard
    deviations of the background residual above its median; open_px / close_px: morphological opening / closing
    radii; search_frac: a foreground blob is kept only within this fraction of the image diagonal of the previous
    frame's masks; min_area_frac: blobs smaller than this fraction of the previous frame's foreground are dropped;
    spatial_frac: how far (fraction of the diagonal) pixels are trusted to belong to the entity they were near on the
    previous frame, against colour evidence when splitting human from object; object_growth: the object's visible
    area may grow to at most this multiple of its rendered frame-0 area (it is rigid).
    """

    background: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    align_iters: int = 8
    align_max_side_px: int = 96
    align_margin_frac: float = 0.08
    blur_px: float = 0.7
    min_difference: float = 0.05
    noise_sigmas: float = 4.0
    weak_ratio: float = 0.4
    weak_sigmas: float = 2.0
    open_px: int = 1
    close_px: int = 2
    search_frac: float = 0.15
    min_area_frac: float = 0.02
    spatial_frac: float = 0.04
    object_growth: float = 1.5
