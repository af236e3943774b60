"""Options of the built-in segmenters (dataclasses only: imported when plugins are listed)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SceneDifferenceConfig:
    """Options of ``scene_difference``."""

    #: the colour rendered where no scene Gaussian covers a pixel (the run's render.background)
    background: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    #: Gauss-Newton steps of the photometric camera alignment per frame when no cameras are given (0: keep the
    #: previous frame's camera)
    align_iters: int = 8
    #: the alignment works on images downsampled to at most this many pixels along the longer side
    align_max_side_px: int = 96
    #: the scene is rendered with this fraction of the image size added on every side: the most the camera may turn
    #: between frames
    align_margin_frac: float = 0.08
    #: Gaussian blur (std, pixels) of frame and render before differencing, against noise
    blur_px: float = 0.7
    #: the smallest colour distance (RGB in [0,1], Euclidean) counted as foreground
    min_difference: float = 0.05
    #: the threshold is also at least this many robust standard deviations of the background residual above its median
    noise_sigmas: float = 4.0
    #: hysteresis: differences down to this fraction of min_difference count where connected to strong foreground
    #: (0: off)
    weak_ratio: float = 0.4
    #: the weak threshold is at least this many robust standard deviations above the background's median
    weak_sigmas: float = 2.0
    #: morphological opening radius in pixels (removes specks)
    open_px: int = 1
    #: morphological closing radius in pixels (fills pinholes)
    close_px: int = 2
    #: a foreground blob is kept only within this fraction of the image diagonal of the previous frame's masks
    search_frac: float = 0.15
    #: blobs smaller than this fraction of the previous frame's foreground are dropped
    min_area_frac: float = 0.02
    #: how far (fraction of the diagonal) pixels are trusted to belong to the entity they were near on the previous
    #: frame, against colour evidence when splitting human from object
    spatial_frac: float = 0.04
    #: the object's visible area may grow to at most this multiple of its rendered frame-0 area (it is rigid)
    object_growth: float = 1.5
