"""EWA projection of 3D Gaussians to screen-space conics, and spherical-harmonics colour evaluation.

The maths follows 3DGS / gsplat (``fully_fused_projection``): camera-space covariance R Σ Rᵀ, the Jacobian of the
perspective map evaluated at a mean clamped to 1.3x the field of view, a 0.3 px² low-pass added to the 2-D covariance
(``eps2d``) and a 3σ screen radius. Everything is plain differentiable PyTorch on (N, ...) tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from zerohsi.geometry import quat_to_matrix


@dataclass
class Projected:
    """Screen-space Gaussians (all N rows; invisible ones have ``radii == 0``).

    means2d (N,2) pixels (pixel centres at +0.5); conics (N,3) upper triangle (a, b, c) of the inverse 2-D covariance;
    depths (N,) camera z; radii (N,2) int32 x/y 3σ extents in pixels (0: culled); opacities (N,) possibly
    antialias-compensated; means_cam (N,3) camera-frame means.
    """

    means2d: torch.Tensor
    conics: torch.Tensor
    depths: torch.Tensor
    radii: torch.Tensor
    opacities: torch.Tensor
    means_cam: torch.Tensor


def covariances(quats: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """(N,4) wxyz, (N,3) std-devs -> (N,3,3) world covariance R S² Rᵀ."""
    M = quat_to_matrix(quats) * scales[:, None, :]
    return M @ M.transpose(-1, -2)


def project(means: torch.Tensor, quats: torch.Tensor, scales: torch.Tensor, opacities: torch.Tensor,
            world_to_cam: torch.Tensor, K: torch.Tensor, width: int, height: int, *, near_plane: float = 0.01,
            far_plane: float = 1e10, eps2d: float = 0.3, antialiased: bool = False,
            extent_sigma: float = 3.0, opacity_aware: bool = False) -> Projected:
    """Project N Gaussians through one pinhole camera (OpenCV convention), differentiably.

    ``extent_sigma``: screen extent in standard deviations (3 as in 3DGS; gsplat's reference uses 3.33);
    ``opacity_aware``: shrink it to where alpha can still reach 1/255 (identical images, fewer tiles)."""
    R, t = world_to_cam[:3, :3], world_to_cam[:3, 3]
    means_c = means @ R.T + t
    cov_c = R @ covariances(quats, scales) @ R.T
    x, y, z = means_c.unbind(-1)
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    z_safe = torch.where(z > near_plane, z, torch.ones_like(z))  # keeps gradients finite behind the camera
    # Jacobian at a mean clamped to 1.3x the frustum: far off-screen Gaussians do not explode.
    tan_fovx, tan_fovy = 0.5 * width / fx, 0.5 * height / fy
    lim_xp, lim_xn = (width - cx) / fx + 0.3 * tan_fovx, cx / fx + 0.3 * tan_fovx
    lim_yp, lim_yn = (height - cy) / fy + 0.3 * tan_fovy, cy / fy + 0.3 * tan_fovy
    tx = z_safe * torch.minimum(torch.maximum(x / z_safe, -lim_xn), lim_xp)
    ty = z_safe * torch.minimum(torch.maximum(y / z_safe, -lim_yn), lim_yp)
    zero = torch.zeros_like(z)
    J = torch.stack([fx / z_safe, zero, -fx * tx / z_safe**2,
                     zero, fy / z_safe, -fy * ty / z_safe**2], -1).reshape(-1, 2, 3)
    cov2d = J @ cov_c @ J.transpose(-1, -2)
    a0, b, c0 = cov2d[:, 0, 0], cov2d[:, 0, 1], cov2d[:, 1, 1]
    det_orig = a0 * c0 - b * b
    a, c = a0 + eps2d, c0 + eps2d
    det = (a * c - b * b).clamp_min(1e-10)
    conics = torch.stack([c / det, -b / det, a / det], -1)
    if antialiased:
        opacities = opacities * torch.sqrt((det_orig / det).clamp_min(0.0))
    means2d = torch.stack([fx * x / z_safe + cx, fy * y / z_safe + cy], -1)

    with torch.no_grad():
        # Per-axis extent: the bounding box of the `extent_sigma` ellipse (tighter than a circle for thin splats).
        extent = torch.full_like(a, extent_sigma)
        if opacity_aware:
            # Beyond sqrt(2 ln(255 o)) sigma alpha = o exp(-r²/2) < 1/255, which compositing skips anyway: a
            # smaller box gives the same image with fewer tiles per faint Gaussian.
            o = opacities.detach()
            extent = torch.sqrt(2 * torch.log((255.0 * o).clamp_min(1.0))).clamp_max(extent_sigma)
        radii = torch.ceil(extent[:, None] * torch.sqrt(torch.stack([a, c], -1).clamp_min(0.0)))
        valid = (z > near_plane) & (z < far_plane) & (det > 1e-10) & torch.isfinite(radii).all(-1)
        u, v = means2d[:, 0], means2d[:, 1]
        rx, ry = radii[:, 0], radii[:, 1]
        on_screen = (u + rx > 0) & (u - rx < width) & (v + ry > 0) & (v - ry < height)
        radii = torch.where((valid & on_screen)[:, None], radii, torch.zeros_like(radii)).to(torch.int32)
    return Projected(means2d, conics, z, radii, opacities, means_c)


# Real spherical-harmonics constants (the ones every 3DGS implementation uses).
_C0 = 0.28209479177387814
_C1 = 0.4886025119029199
_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
_C3 = (-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154, -0.4570457994644658,
       1.445305721320277, -0.5900435899266435)


def eval_sh(coeffs: torch.Tensor, dirs: torch.Tensor, degree: int | None = None) -> torch.Tensor:
    """(N,K,3) SH coefficients, (N,3) view directions (any norm) -> (N,3) colour, clamped at 0 after the +0.5 offset.

    ``degree`` (default: the largest the K coefficients allow) may be lower than the stored one.
    """
    k = coeffs.shape[1]
    deg = int(round(k**0.5)) - 1 if degree is None else int(degree)
    out = _C0 * coeffs[:, 0]
    if deg >= 1:
        d = dirs / dirs.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        x, y, z = d[:, 0:1], d[:, 1:2], d[:, 2:3]
        out = out - _C1 * y * coeffs[:, 1] + _C1 * z * coeffs[:, 2] - _C1 * x * coeffs[:, 3]
        if deg >= 2:
            xx, yy, zz, xy, yz, xz = x * x, y * y, z * z, x * y, y * z, x * z
            out = (out + _C2[0] * xy * coeffs[:, 4] + _C2[1] * yz * coeffs[:, 5]
                   + _C2[2] * (2 * zz - xx - yy) * coeffs[:, 6] + _C2[3] * xz * coeffs[:, 7]
                   + _C2[4] * (xx - yy) * coeffs[:, 8])
            if deg >= 3:
                out = (out + _C3[0] * y * (3 * xx - yy) * coeffs[:, 9] + _C3[1] * xy * z * coeffs[:, 10]
                       + _C3[2] * y * (4 * zz - xx - yy) * coeffs[:, 11]
                       + _C3[3] * z * (2 * zz - 3 * xx - 3 * yy) * coeffs[:, 12]
                       + _C3[4] * x * (4 * zz - xx - yy) * coeffs[:, 13]
                       + _C3[5] * z * (xx - yy) * coeffs[:, 14] + _C3[6] * x * (xx - 3 * yy) * coeffs[:, 15])
    return (out + 0.5).clamp_min(0.0)
