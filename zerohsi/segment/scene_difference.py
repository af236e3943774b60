"""``scene_difference``: segment what the known scene does not explain.

The scene is given as Gaussians, so each frame's background can be rendered. Per frame:

1. camera: the tracked one when given; otherwise the previous frame's camera turned about its centre by a small
   photometric alignment of the (padded) scene render to the frame's background (robust L1 on a homography warp,
   no re-render per step), which absorbs camera shake and slow pans;
2. colour: a 3x4 affine colour transform (gain, tint, bias) fitted by trimmed least squares from render to frame on
   background pixels, which absorbs the generator's lighting and white-balance drift;
3. difference: colour distance between the (lightly blurred) frame and corrected render, thresholded at the larger of
   a floor and a robust noise level; opening, closing and hole filling; blobs far from the previous frame's masks
   or tiny ones are dropped;
4. split: each foreground pixel goes to the human or the object by a colour model of each (histograms learnt on
   frame 0, updated on confident pixels) plus a spatial prior from the previous frame's masks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from zerohsi.cameras import Camera
from zerohsi.geometry import axis_angle_to_matrix
from zerohsi.segment.config import SceneDifferenceConfig
from zerohsi.segment.masks import Masks, resize_mask
from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.clip_setup import Setup

_BINS = 16


# -- colour -----------------------------------------------------------------------------------------------------
def fit_color_affine(src: torch.Tensor, dst: torch.Tensor, *, keep: float = 0.8, rounds: int = 2) -> torch.Tensor:
    """(3,4) affine A with dst ≈ A @ [src, 1], fitted on (M,3) colour pairs; each round refits on the ``keep``
    fraction with the smallest residuals (foreground the masks missed, specularities). Identity if M < 8."""
    eye = torch.eye(3, 4, dtype=src.dtype, device=src.device)
    if src.shape[0] < 8:
        return eye
    X = torch.cat([src, torch.ones_like(src[:, :1])], 1)
    idx = torch.arange(src.shape[0], device=src.device)
    A = eye
    for r in range(rounds + 1):
        Xs, Ys = X[idx], dst[idx]
        # a small ridge toward identity keeps the fit sane on low-contrast backgrounds
        lam = 1e-3 * Xs.shape[0]
        lhs = Xs.T @ Xs + lam * torch.eye(4, dtype=src.dtype, device=src.device)
        rhs = Xs.T @ Ys + lam * eye.T
        A = torch.linalg.solve(lhs, rhs).T
        if r == rounds:
            break
        res = ((X @ A.T - dst) ** 2).sum(1)
        k = max(8, int(keep * src.shape[0]))
        idx = torch.topk(res, k, largest=False).indices
    return A


def apply_color_affine(image: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """(...,3) image through a (3,4) colour affine."""
    return image @ A[:, :3].T + A[:, 3]


def _relight(image: torch.Tensor, affine_t: torch.Tensor, affine_0: torch.Tensor) -> torch.Tensor:
    """(...,3) colours of frame t mapped to frame 0's colour space: affine_0 applied after affine_t's inverse."""
    M = affine_t[:, :3]
    if torch.linalg.det(M).abs() < 1e-6:
        return image
    return apply_color_affine((image - affine_t[:, 3]) @ torch.linalg.inv(M).T, affine_0)


def _blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """(H,W,C) separable Gaussian blur (reflect padding); identity for sigma <= 0."""
    if sigma <= 0:
        return image
    r = max(1, int(math.ceil(2.5 * sigma)))
    x = torch.arange(-r, r + 1, dtype=image.dtype, device=image.device)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()
    img = image.permute(2, 0, 1)[:, None]  # (C,1,H,W)
    img = F.conv2d(F.pad(img, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    img = F.conv2d(F.pad(img, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))
    return img[:, 0].permute(1, 2, 0)


# -- camera -----------------------------------------------------------------------------------------------------
def padded_camera(camera: Camera, margin_px: int) -> Camera:
    """The same camera with its image grown by ``margin_px`` on every side (same focal length, shifted centre)."""
    K = camera.K.clone()
    K[0, 2] += margin_px
    K[1, 2] += margin_px
    return Camera(K, camera.world_to_cam, camera.width + 2 * margin_px, camera.height + 2 * margin_px)


def pixel_rays(K: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(H*W,3) camera rays K^-1 [u, v, 1] of every pixel of a (W,H) image, row-major."""
    W, H = size
    v, u = torch.meshgrid(torch.arange(H, dtype=K.dtype, device=K.device),
                          torch.arange(W, dtype=K.dtype, device=K.device), indexing="ij")
    pix = torch.stack([u, v, torch.ones_like(u)], -1).reshape(-1, 3)
    return pix @ torch.linalg.inv(K).T


def warp_by_rotation(image: torch.Tensor, K_src: torch.Tensor, K_dst: torch.Tensor, R: torch.Tensor,
                     size: tuple[int, int], rays: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Resample (Hs,Ws,C) ``image`` seen through K_src into a camera rotated by R (x_dst = R x_src), seen through
    K_dst at size (W,H): the exact image of a camera turning about its centre. Differentiable w.r.t. R.
    ``rays``: pixel_rays(K_dst, size), when the caller warps many times."""
    W, H = size
    if rays is None:
        rays = pixel_rays(K_dst, size)
    src = rays @ (K_src @ R.T).T  # K_src R^T K_dst^-1 p
    src = src[:, :2] / src[:, 2:].clamp_min(1e-6)
    Hs, Ws = image.shape[:2]
    grid = torch.stack([(src[:, 0] + 0.5) / Ws * 2 - 1, (src[:, 1] + 0.5) / Hs * 2 - 1], -1).reshape(1, H, W, 2)
    out = F.grid_sample(image.permute(2, 0, 1)[None], grid, mode="bilinear", padding_mode="border",
                        align_corners=False)
    return out[0].permute(1, 2, 0)


def align_rotation(scene_big: torch.Tensor, cam_big: Camera, frame: torch.Tensor, camera: Camera,
                   weight: torch.Tensor, affine: torch.Tensor, *, iters: int = 8, max_side_px: int = 96,
                   keep: float = 0.8) -> torch.Tensor:
    """Rotation R (3,3) of the camera about its centre that best explains ``frame`` (H,W,3) from the padded scene
    render ``scene_big`` (seen by ``cam_big``, whose margin must be a multiple of the downsampling factor), on
    ``weight`` (H,W) background pixels.

    Camera shake and slow pans between consecutive frames are dominated by rotation, and a rotation needs no
    re-render: the render is warped by the homography K R K^-1, so each step costs four image resamplings
    (Gauss-Newton, Jacobian by finite differences, Levenberg-Marquardt damping), at most ``max_side_px`` pixels
    wide, coarse (blurred) then fine. Robust: each step ignores the worst (1-keep) of the background residuals.
    Never worse than the identity on this loss.
    """
    H, W = frame.shape[:2]
    f = max(1, math.ceil(max(H, W) / max_side_px))
    margin = (cam_big.width - W) // 2

    def down(img: torch.Tensor) -> torch.Tensor:
        if f == 1:
            return img
        h, w = img.shape[0] // f, img.shape[1] // f
        return F.avg_pool2d(img[:h * f, :w * f].permute(2, 0, 1)[None], f)[0].permute(1, 2, 0)

    frame_s, big_s = down(frame), down(scene_big)
    h, w = frame_s.shape[:2]
    S = torch.diag(torch.tensor([1.0 / f, 1.0 / f, 1.0], dtype=frame.dtype, device=frame.device))
    K = S @ camera.K.to(frame)
    K_big = K.clone()
    K_big[:2, 2] += margin / f
    wgt = down(weight.to(frame)[..., None])[..., 0] > 0.99
    if wgt.sum() < 16 or iters <= 0:
        return torch.eye(3, dtype=frame.dtype, device=frame.device)
    A = affine.to(frame)
    rays = pixel_rays(K, (w, h))
    omega = torch.zeros(3, dtype=torch.float64, device=frame.device)
    eps = 1e-3
    for sigma, steps in ((2.0, iters // 2), (1.0, iters - iters // 2)):
        target = _blur(frame_s, sigma)[wgt]
        source = _blur(big_s, sigma)

        def residual(om: torch.Tensor, source=source, target=target) -> torch.Tensor:
            R = axis_angle_to_matrix(om.to(frame.dtype))
            return apply_color_affine(warp_by_rotation(source, K_big, K, R, (w, h), rays), A)[wgt] - target

        r = residual(omega)
        cost = r.abs().sum(-1)
        lam = 1e-3
        for _ in range(steps):
            sel = cost <= torch.quantile(cost, keep)
            rs = r[sel].reshape(-1).double()
            J = torch.stack([((residual(omega + eps * e) - r)[sel].reshape(-1).double()) / eps
                             for e in torch.eye(3, dtype=torch.float64, device=frame.device)], 1)
            JtJ, Jtr = J.T @ J, J.T @ rs
            while True:
                step = -torch.linalg.solve(JtJ + lam * torch.diag(JtJ.diagonal() + 1e-9), Jtr)
                r_new = residual(omega + step)
                cost_new = r_new.abs().sum(-1)
                if cost_new[sel].sum() < cost[sel].sum():
                    omega, r, cost, lam = omega + step, r_new, cost_new, max(lam / 3, 1e-6)
                    break
                lam *= 10
                if lam > 1e4:
                    break
            if lam > 1e4 or step.abs().max() < 1e-6:
                break
    return axis_angle_to_matrix(omega).to(frame.dtype)


# -- masks ------------------------------------------------------------------------------------------------------
def _disk(r: int) -> np.ndarray:
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r


def clean_mask(fg: np.ndarray, prior: np.ndarray, *, open_px: int, close_px: int, search_px: float,
               min_area: float) -> np.ndarray:
    """Morphological clean-up of a bool (H,W) difference mask, keeping blobs near the bool (H,W) prior."""
    if open_px > 0:
        fg = ndimage.binary_opening(fg, _disk(open_px))
    if close_px > 0:
        fg = ndimage.binary_closing(np.pad(fg, close_px), _disk(close_px))[close_px:-close_px, close_px:-close_px]
    fg = ndimage.binary_fill_holes(fg)
    labels, n = ndimage.label(fg)
    if n == 0:
        return fg
    near = ndimage.distance_transform_edt(~prior) <= search_px if prior.any() else np.ones_like(fg)
    areas = ndimage.sum_labels(np.ones_like(fg), labels, np.arange(1, n + 1))
    touches = ndimage.maximum(near, labels, np.arange(1, n + 1)) > 0
    keep = np.zeros(n + 1, bool)
    keep[1:] = touches & (areas >= min_area)
    return keep[labels]


def hysteresis(dist: np.ndarray, strong: float, weak: float, allowed: np.ndarray) -> np.ndarray:
    """Pixels above ``strong``, grown through connected pixels above ``weak`` inside the bool (H,W) ``allowed``.

    Parts of a person or object that happen to match the background behind them (a grey cart before a grey floor)
    differ only faintly; they are kept when they connect to clearly different pixels near where the entity was.
    """
    seeds = dist > strong
    grow = seeds | ((dist > weak) & allowed)
    labels, n = ndimage.label(grow)
    if n == 0:
        return seeds
    keep = np.zeros(n + 1, bool)
    keep[np.unique(labels[seeds])] = True
    keep[0] = False
    return keep[labels]


def refine_boundary(dist: np.ndarray, fg: np.ndarray, *, band_px: int = 2, window_px: int = 5) -> np.ndarray:
    """Move a difference mask's boundary to the half-maximum of the local difference.

    A splat's edge is semi-transparent and the video is blurred, so any-difference thresholds grow every silhouette
    by a pixel or two; a pixel in the boundary band is kept only where its difference reaches half of the largest
    one nearby inside the mask (the pixel is then more foreground than background).
    """
    if not fg.any():
        return fg
    band = fg & ~ndimage.binary_erosion(fg, iterations=band_px)
    local_max = ndimage.maximum_filter(np.where(fg, dist, 0.0), size=window_px)
    return fg & ~(band & (dist < 0.5 * local_max))


class _ColorModel:
    """A smoothed RGB histogram (16^3 bins) of one entity's pixels, updated as a running average."""

    def __init__(self) -> None:
        self.hist: Optional[np.ndarray] = None

    @staticmethod
    def _bins(rgb: np.ndarray) -> np.ndarray:
        q = np.clip((rgb * _BINS).astype(np.int64), 0, _BINS - 1)
        return (q[..., 0] * _BINS + q[..., 1]) * _BINS + q[..., 2]

    def update(self, rgb: np.ndarray, rate: float = 1.0) -> None:
        if len(rgb) < 4:
            return
        h = np.bincount(self._bins(rgb), minlength=_BINS ** 3).astype(np.float64).reshape((_BINS,) * 3)
        h = ndimage.gaussian_filter(h, 0.8, mode="constant")
        h = h / h.sum()
        self.hist = h if self.hist is None else (1 - rate) * self.hist + rate * h

    def log_prob(self, rgb: np.ndarray) -> np.ndarray:
        if self.hist is None:
            return np.zeros(rgb.shape[:-1])
        return np.log(self.hist.reshape(-1)[self._bins(rgb)] + 1e-6)


def split_entities(fg: np.ndarray, image: np.ndarray, prev_h: np.ndarray, prev_o: np.ndarray, models, *,
                   sigma_px: float, max_object_px: Optional[float] = None) -> tuple[np.ndarray, np.ndarray]:
    """Split a bool (H,W) foreground into human and object masks by colour models and previous-frame proximity.

    max_object_px: the object is rigid, so its visible area cannot grow much; beyond this many pixels only the
    pixels that favour the object most are kept (stops a colour shared with the person from leaking).
    """
    d_h = ndimage.distance_transform_edt(~prev_h) if prev_h.any() else np.full(fg.shape, 1e3)
    d_o = ndimage.distance_transform_edt(~prev_o) if prev_o.any() else np.full(fg.shape, 1e3)
    score_h = models[0].log_prob(image) - 0.5 * (d_h / sigma_px) ** 2
    score_o = models[1].log_prob(image) - 0.5 * (d_o / sigma_px) ** 2
    margin = np.where(fg, score_o - score_h, -np.inf)
    obj = margin > 0
    if max_object_px is not None and obj.sum() > max_object_px:
        obj &= margin >= np.sort(margin[obj])[::-1][int(max_object_px) - 1]
    # isolated specks of one label inside the other are noise: a median-like vote over a 3x3 window
    votes = ndimage.uniform_filter(obj.astype(np.float64), 3)
    obj = fg & np.where(votes > 0.5, True, np.where(votes < 0.5, False, obj))
    return fg & ~obj, obj


# -- the segmenter -----------------------------------------------------------------------------------------------
class SceneDifferenceSegmenter:
    """Offline segmenter: frame minus rendered scene, split into human and object (see the module docstring)."""

    def __init__(self, cfg: SceneDifferenceConfig | None = None) -> None:
        self.cfg = cfg or SceneDifferenceConfig()
        #: per-frame cameras used (estimated or given), filled by :meth:`segment`
        self.cameras: list[Camera] = []

    def segment(self, video: Video, first_masks: Masks, setup: Setup,
                cameras: Optional[Sequence[Camera]] = None) -> Masks:
        from zerohsi.render import render

        cfg = self.cfg
        T, H, W = len(video), video.height, video.width
        dev = setup.scene.gaussians.device
        scene = setup.scene.gaussians
        bg = torch.as_tensor(cfg.background, dtype=torch.float32, device=dev)
        diag = math.hypot(H, W)
        dynamic = first_masks.object is not None
        prev_h = resize_mask(first_masks.human[0], H, W)
        prev_o = resize_mask(first_masks.object[0], H, W) if dynamic else np.zeros((H, W), bool)
        first_o = prev_o
        camera = setup.camera0
        camera = camera.resized(W, H) if (camera.width, camera.height) != (W, H) else camera
        camera = camera.to(dev)
        models = (_ColorModel(), _ColorModel())
        f = max(1, math.ceil(max(H, W) / cfg.align_max_side_px))
        margin = f * max(1, math.ceil(cfg.align_margin_frac * max(H, W) / f))  # a multiple of the downsampling
        human = np.zeros((T, H, W), bool)
        obj = np.zeros((T, H, W), bool)
        self.cameras = []
        for t in range(T):
            frame = video.frame(t, dev)
            prior = prev_h | prev_o
            near_fg = ndimage.binary_dilation(prior, _disk(max(2, int(0.03 * diag)))) if prior.any() else prior
            bg_w = torch.from_numpy(~near_fg).to(dev)
            if cameras is not None:
                camera = cameras[t].resized(W, H) if (cameras[t].width, cameras[t].height) != (W, H) else cameras[t]
                camera = camera.to(dev)
            with torch.no_grad():
                if cameras is None and t > 0 and cfg.align_iters > 0:
                    big = padded_camera(camera, margin)
                    rgb_big = render(scene, big, background=bg).rgb
                    rgb = rgb_big[margin:margin + H, margin:margin + W]
                else:
                    rgb = render(scene, camera, background=bg).rgb
            affine = fit_color_affine(rgb[bg_w], frame[bg_w])
            if cameras is None and t > 0 and cfg.align_iters > 0:
                R = align_rotation(rgb_big, big, frame, camera, bg_w, affine, iters=cfg.align_iters,
                                   max_side_px=cfg.align_max_side_px)
                with torch.no_grad():
                    rgb = warp_by_rotation(rgb_big, big.K.to(frame), camera.K.to(frame), R, (W, H))
                w2c = camera.world_to_cam.clone()
                w2c[:3, :] = R.to(w2c) @ w2c[:3, :]
                camera = camera.with_pose(w2c)
            self.cameras.append(camera)
            with torch.no_grad():
                affine = fit_color_affine(rgb[bg_w], frame[bg_w])
                pred = apply_color_affine(rgb, affine)
                dist = (_blur(frame, cfg.blur_px) - _blur(pred, cfg.blur_px)).norm(dim=-1)
            dist_np = dist.cpu().numpy()
            bg_res = dist_np[~near_fg]
            med = float(np.median(bg_res)) if bg_res.size else 0.0
            mad = float(np.median(np.abs(bg_res - med))) if bg_res.size else 0.0
            thr = max(cfg.min_difference, med + cfg.noise_sigmas * 1.4826 * mad)
            weak = max(cfg.min_difference * cfg.weak_ratio, med + cfg.weak_sigmas * 1.4826 * mad)
            # faint pixels are trusted only near where the entities were on the previous frame
            fg = hysteresis(dist_np, thr, weak, near_fg) if cfg.weak_ratio > 0 else dist_np > thr
            fg = clean_mask(refine_boundary(dist_np, fg), prior, open_px=cfg.open_px, close_px=cfg.close_px,
                            search_px=cfg.search_frac * diag, min_area=cfg.min_area_frac * max(1, prior.sum()))
            if t == 0:
                affine0 = affine
            # colours in frame 0's lighting (through the background's colour transforms), so the entities' frame-0
            # colour models stay valid as the generator's lighting drifts; learning from later frames' own labels
            # would let one entity's colours leak into the other's model
            image = _relight(frame, affine, affine0).clamp(0, 1).cpu().double().numpy()
            if not dynamic:
                h_t, o_t = fg, np.zeros_like(fg)
            else:
                if t == 0:
                    models[0].update(image[fg & ndimage.binary_erosion(prev_h)])
                    models[1].update(image[fg & ndimage.binary_erosion(prev_o)])
                h_t, o_t = split_entities(fg, image, prev_h, prev_o, models, sigma_px=cfg.spatial_frac * diag,
                                          max_object_px=cfg.object_growth * max(1, int(first_o.sum())))
            human[t], obj[t] = h_t, o_t
            prev_h, prev_o = h_t, o_t
        return Masks(human=human, object=obj if dynamic else None,
                     provenance={"segmenter": "scene_difference", "random_weights": False})
