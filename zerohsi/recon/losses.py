"""Losses of the fitting stages: L1, D-SSIM, mask centroids, object depth, silhouettes, keypoint reprojection, and
the HSI objective's named terms (:data:`HSI_TERMS`).

Images are float (H,W,3) in [0,1]; masks float (H,W) in [0,1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F


def _gaussian_window(size: int = 11, sigma: float = 1.5, device=None, dtype=None) -> torch.Tensor:
    x = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(a: torch.Tensor, b: torch.Tensor, window: int = 11) -> torch.Tensor:
    """Mean structural similarity of two (H,W,C) images (Gaussian window, as in 3DGS)."""
    C = a.shape[-1]
    x = a.permute(2, 0, 1)[None]
    y = b.permute(2, 0, 1)[None]
    w = _gaussian_window(window, device=a.device, dtype=a.dtype).expand(C, 1, window, window)
    pad = window // 2
    conv = lambda t: F.conv2d(t, w, padding=pad, groups=C)  # noqa: E731
    mu_x, mu_y = conv(x), conv(y)
    sxx = conv(x * x) - mu_x**2
    syy = conv(y * y) - mu_y**2
    sxy = conv(x * y) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))
    return s.mean()


def photometric(rendered: torch.Tensor, target: torch.Tensor, lambda_dssim: float) -> torch.Tensor:
    """(1-λ)·L1 + λ·D-SSIM, with D-SSIM = 1 - SSIM as in 3DGS."""
    l1 = (rendered - target).abs().mean()
    if lambda_dssim <= 0:
        return l1
    return (1 - lambda_dssim) * l1 + lambda_dssim * (1 - ssim(rendered, target))


def mask_centroid(mask: torch.Tensor, frame: tuple[int, int, int, int] | None = None) -> torch.Tensor | None:
    """Normalised 2-D centroid in [0,1]^2 (x, y) of a (H,W) soft mask, or None when the mask is empty.

    frame (x0, y0, W, H): the mask is a crop at (x0, y0) of a W x H image; the centroid is normalised by the image.
    """
    H, W = mask.shape
    x0, y0, W_full, H_full = frame if frame is not None else (0, 0, W, H)
    total = mask.sum()
    if float(total.detach()) < 1e-3:
        return None
    ys = (torch.arange(H, device=mask.device, dtype=mask.dtype) + 0.5 + y0) / H_full
    xs = (torch.arange(W, device=mask.device, dtype=mask.dtype) + 0.5 + x0) / W_full
    cx = (mask.sum(0) * xs).sum() / total
    cy = (mask.sum(1) * ys).sum() / total
    return torch.stack([cx, cy])


def centroid_loss(rendered_mask: torch.Tensor, target_mask: torch.Tensor,
                  frame: tuple[int, int, int, int] | None = None) -> torch.Tensor:
    """Squared distance between normalised centroids; zero when either mask is empty."""
    a, b = mask_centroid(rendered_mask, frame), mask_centroid(target_mask, frame)
    if a is None or b is None:
        return rendered_mask.sum() * 0
    return ((a - b) ** 2).sum()


def masked_mean_depth(depth: torch.Tensor, mask: torch.Tensor) -> torch.Tensor | None:
    total = mask.sum()
    if float(total.detach()) < 1e-3:
        return None
    return (depth * mask).sum() / total


def silhouette_loss(rendered_mask: torch.Tensor, target_mask: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of soft coverage and the segmented mask (an addition to the paper's losses)."""
    return ((rendered_mask - target_mask) ** 2).mean()


def geman_mcclure(sq: torch.Tensor, sigma2: float) -> torch.Tensor:
    """Robust cost of squared errors, ~sq/sigma2 for small ones, saturating at 1 for large ones."""
    return sq / (sq + sigma2)


def keypoint_reprojection(uv: torch.Tensor, target: torch.Tensor, conf: torch.Tensor, sigma_px: float,
                          tolerance_px: float = 0.0) -> torch.Tensor:
    """Confidence-weighted Geman–McClure cost of projected joints (K,2) against detected keypoints (K,2) in pixels,
    conf (K,) >= 0 (0: not detected); the weighted mean over keypoints, in [0, 1) (an addition to the paper).

    Distances up to ``tolerance_px`` cost nothing: a detector's keypoints sit a few pixels off the body model's joints
    (other joint definitions, its own errors), and the photometric term places the body better than that; the term
    is there against gross errors such as a leg swung the wrong way."""
    dist = (((uv - target) ** 2).sum(-1) + 1e-12).sqrt()
    sq = (dist - tolerance_px).clamp_min(0.0) ** 2
    return (conf * geman_mcclure(sq, sigma_px ** 2)).sum() / conf.sum().clamp_min(1e-8)


@dataclass(frozen=True)
class Term:
    """One named term of the HSI objective: ``weight`` is the FitConfig field that scales it (None: weight 1),
    ``source`` "paper" (ZeroHSI's loss) or "addition" (zerohsi's; 0 in paper.yaml reproduces the paper)."""

    name: str
    weight: Optional[str]
    source: str
    what: str


#: the HSI fit's objective, L = sum of weight x term; each is logged under fit/<name>
HSI_TERMS: tuple[Term, ...] = (
    Term("photometric", None, "paper", "(1-lambda) L1 + lambda D-SSIM of the render against the frame"),
    Term("centroid", "w_center", "paper", "normalised 2-D centroid of the rendered vs segmented object mask (Eq. 11)"),
    Term("depth", "w_depth", "paper", "object mean rendered depth vs its frame-0 depth"),
    Term("centroid_human", "w_center_human", "addition", "the centroid term on the human mask"),
    Term("silhouette", "w_mask", "addition", "soft coverage vs segmented mask, human and object"),
    Term("keypoints", "w_keypoints", "addition", "robust 2-D reprojection of the body's joints on detected keypoints"),
    Term("temporal", "w_temporal", "addition", "pull of orientation and body pose toward where the frame started"),
)


def term_weight(term: Term, cfg) -> float:
    return 1.0 if term.weight is None else float(getattr(cfg, term.weight))
