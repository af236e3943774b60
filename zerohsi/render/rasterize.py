"""Tile-based front-to-back alpha compositing of projected Gaussians in PyTorch (the 3DGS image-formation model).

Pipeline: every visible Gaussian is binned into the square tiles (8x8 pixels by default) its screen extent box
touches; each tile's list is sorted by depth and cut into chunks of ``chunk`` Gaussians. Chunk step j processes the
j-th chunk of every tile that still has one (and is not yet opaque) in one batched operation, carrying per-pixel
transmittance from step to step, so memory scales with pixels x Gaussians-per-tile (never pixels x all Gaussians)
and the Python loop runs over depth chunks only.

The Gaussian exponent is a quadratic form in tile-local pixel coordinates, so one matmul
``[u², v², uv, u, v, 1] @ coef`` gives log-alpha for a whole chunk (log-opacity folded into the constant term).
Per pixel: alpha = min(0.99, o·exp(-½ dᵀ Σ⁻¹ d)); alphas below 1/255 are skipped; compositing stops before the
Gaussian that would bring transmittance below 1e-4 -- the reference 3DGS rasterizer (gsplat clamps alpha at 0.999).

Two interchangeable paths: :func:`composite_reference` (plain autograd, log-space transmittance, (A,p,K) layout)
and :class:`_Composite` (in-place forward with a cumulative product in the (A,K,p) layout, and a hand-written backward
that replays the saved chunks back to front: about 1.5x faster and 3x less memory). Tests check that they agree.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

TILE = 8
ALPHA_MIN = 1.0 / 255.0
ALPHA_MAX = 0.99
T_MIN = 1e-4
_LOG_T_MIN = math.log(T_MIN)
#: log-alphas are floored here before exp: exp(-10) is far below 1/255 (so the value is discarded anyway) and
#: exp of very negative inputs takes a slow underflow path on CPUs (about 10x slower)
_LOG_FLOOR = -10.0


@dataclass
class Binning:
    """Tile lists. pair_gauss (P,) Gaussian index per (tile, Gaussian) pair, sorted by tile then depth;
    pair_tile (P,) tile index; steps: per chunk step, (tiles (A,), pair index (A,chunk) padded with P, the index
    of a transparent dummy pair)."""

    pair_gauss: torch.Tensor
    pair_tile: torch.Tensor
    steps: list[tuple[torch.Tensor, torch.Tensor]]
    tiles_x: int
    tiles_y: int
    tile: int = TILE


def tile_touches(local_mean: torch.Tensor, conics: torch.Tensor, opacities: torch.Tensor, tile: int = TILE
                 ) -> torch.Tensor:
    """(P,) whether a Gaussian can reach alpha >= 1/255 at some pixel centre of a tile.

    local_mean (P,2) the mean in tile-local pixel coordinates, conics (P,3), opacities (P,). The screen box of a
    Gaussian also covers tiles its ellipse misses (the corners of the box, most of the box of a thin diagonal
    splat); such a pair has alpha below 1/255 on the whole tile, so compositing skips every one of its pixels and
    dropping it changes nothing but the work. The test takes the minimum of the quadratic form over the rectangle of
    pixel centres (the mean when inside, else the best point on the nearest edges), a bound on its minimum over the
    centres themselves, with a small margin against rounding."""
    lo, hi = 0.5, tile - 0.5
    a, b, c = conics.unbind(-1)
    mx, my = local_mean.unbind(-1)
    a, c = a.clamp_min(1e-12), c.clamp_min(1e-12)
    q = torch.zeros_like(mx)  # 0 when the mean lies inside the rectangle
    inside = (mx >= lo) & (mx <= hi) & (my >= lo) & (my <= hi)
    best = torch.full_like(mx, float("inf"))
    for u0 in (lo, hi):  # vertical edges: dx fixed, best dy clamped to the edge
        dx = u0 - mx
        dy = ((my - b * dx / c).clamp(lo, hi)) - my
        best = torch.minimum(best, a * dx * dx + 2 * b * dx * dy + c * dy * dy)
    for v0 in (lo, hi):  # horizontal edges
        dy = v0 - my
        dx = ((mx - b * dy / a).clamp(lo, hi)) - mx
        best = torch.minimum(best, a * dx * dx + 2 * b * dx * dy + c * dy * dy)
    q = torch.where(inside, q, best)
    limit = 2.0 * torch.log((255.0 * opacities).clamp_min(1e-12))
    return q <= limit * (1 + 1e-4) + 1e-3


def bin_tiles(means2d: torch.Tensor, radii: torch.Tensor, depths: torch.Tensor, width: int, height: int,
              chunk: int = 64, tile_size: int = TILE, conics: torch.Tensor | None = None,
              opacities: torch.Tensor | None = None) -> Binning:
    """Assign visible Gaussians (radii (N,2) > 0) to tiles, depth-sorted, chunked. No gradients flow through binning.

    With ``conics`` and ``opacities`` (N,3)/(N,), tiles inside a Gaussian's box that its visible footprint misses
    are left out (:func:`tile_touches`; the image is the same, with less to composite)."""
    dev = means2d.device
    ts = int(tile_size)
    tiles_x, tiles_y = -(-width // ts), -(-height // ts)
    with torch.no_grad():
        vis = torch.nonzero((radii > 0).all(-1)).squeeze(1)
        m = means2d.detach()[vis]
        r = radii[vis].to(m.dtype)
        x0 = ((m[:, 0] - r[:, 0]) / ts).floor().clamp(0, tiles_x).long()
        x1 = ((m[:, 0] + r[:, 0]) / ts).floor().add(1).clamp(0, tiles_x).long()
        y0 = ((m[:, 1] - r[:, 1]) / ts).floor().clamp(0, tiles_y).long()
        y1 = ((m[:, 1] + r[:, 1]) / ts).floor().add(1).clamp(0, tiles_y).long()
        nx, ny = (x1 - x0).clamp_min(0), (y1 - y0).clamp_min(0)
        counts = nx * ny
        # Sort Gaussians by depth first; a stable sort by tile afterwards keeps depth order inside every tile.
        order = torch.argsort(depths.detach()[vis], stable=True)
        vis, x0, y0, nx, counts = vis[order], x0[order], y0[order], nx[order], counts[order]
        owner = torch.repeat_interleave(torch.arange(len(vis), device=dev), counts)
        start = torch.cumsum(counts, 0) - counts
        k = torch.arange(len(owner), device=dev) - start[owner]
        nxo = nx[owner].clamp_min(1)
        tile = (y0[owner] + k // nxo) * tiles_x + x0[owner] + k % nxo
        if conics is not None and opacities is not None and len(tile):
            g = vis[owner]
            origin = torch.stack([(tile % tiles_x) * ts, (tile // tiles_x) * ts], -1).to(m.dtype)
            hit = tile_touches(means2d.detach()[g] - origin, conics.detach()[g], opacities.detach()[g], ts)
            owner, tile = owner[hit], tile[hit]
        tile, perm = torch.sort(tile, stable=True)
        pair_gauss = vis[owner[perm]]
        per_tile = torch.bincount(tile, minlength=tiles_x * tiles_y)
        tile_start = torch.cumsum(per_tile, 0) - per_tile
        steps = []
        n_steps = int(-(-int(per_tile.max()) // chunk)) if len(tile) else 0
        ar = torch.arange(chunk, device=dev)
        for j in range(n_steps):
            active = torch.nonzero(per_tile > j * chunk).squeeze(1)
            pos = j * chunk + ar
            idx = tile_start[active, None] + pos
            idx = torch.where(pos < per_tile[active, None], idx, torch.full_like(idx, len(tile)))
            steps.append((active, idx))
    return Binning(pair_gauss, tile, steps, tiles_x, tiles_y, ts)


def pixel_basis(dtype: torch.dtype, device: torch.device, tile: int = TILE) -> torch.Tensor:
    """(tile², 6) quadratic basis [u², v², uv, u, v, 1] at tile-local pixel centres (u, v in 0.5 .. tile-0.5)."""
    c = torch.arange(tile, dtype=dtype, device=device) + 0.5
    v, u = torch.meshgrid(c, c, indexing="ij")
    u, v = u.reshape(-1), v.reshape(-1)
    return torch.stack([u * u, v * v, u * v, u, v, torch.ones_like(u)], -1)


def pair_coefficients(means2d: torch.Tensor, conics: torch.Tensor, opacities: torch.Tensor, binning: Binning
                      ) -> torch.Tensor:
    """(P,6) log-alpha coefficients of every (tile, Gaussian) pair in tile-local pixel coordinates (differentiable).

    log alpha(u,v) = -½(a dx² + 2b dx dy + c dy²) + log o with dx = u - mx, dy = v - my.
    """
    g, t = binning.pair_gauss, binning.pair_tile
    origin = torch.stack([(t % binning.tiles_x) * binning.tile, (t // binning.tiles_x) * binning.tile], -1)
    origin = origin.to(means2d.dtype)
    # index_select rather than x[g]: a Gaussian appears in several tiles, and advanced indexing's CPU backward adds
    # repeated rows with atomics in thread order, which would make renders differ run to run in the last bits
    mxy = means2d.index_select(0, g) - origin
    mx, my = mxy[:, 0], mxy[:, 1]
    a, b, c = conics.index_select(0, g).unbind(-1)
    log_o = torch.log(opacities.index_select(0, g).clamp_min(1e-12))
    return torch.stack([-0.5 * a, -0.5 * c, -b, a * mx + b * my, c * my + b * mx,
                        log_o - 0.5 * (a * mx * mx + c * my * my) - b * mx * my], -1)


def _pad(x: torch.Tensor, fill: float) -> torch.Tensor:
    """Append one padding row (the target of the padding index P)."""
    return torch.cat([x, x.new_full((1, *x.shape[1:]), fill)], 0)


def _dummy_row(coef: torch.Tensor) -> torch.Tensor:
    """Coefficients of the padding pair: log-alpha -1e4 everywhere, i.e. fully transparent."""
    return torch.tensor([[0, 0, 0, 0, 0, -1e4]], dtype=coef.dtype, device=coef.device)


def _chunk_alpha(lin: torch.Tensor, T_in: torch.Tensor, open_in: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(A,p,K) log-alpha, (A,p) incoming transmittance and "still compositing" flags -> alpha used (A,p,K),
    transmittance before each (A,p,K), outgoing transmittance (A,p), outgoing flags (A,p)."""
    alpha = torch.exp(lin.clamp_min(_LOG_FLOOR)).clamp_max(ALPHA_MAX)
    alpha = torch.where(alpha >= ALPHA_MIN, alpha, torch.zeros_like(alpha))
    log1m = torch.log1p(-alpha)
    csum = torch.cumsum(log1m, -1)
    # Keep Gaussian k only if transmittance after it stays >= 1e-4 (a prefix, since transmittance only falls);
    # a pixel that stopped in an earlier chunk takes nothing more, however faint.
    keep = (csum >= (_LOG_T_MIN - torch.log(T_in.clamp_min(1e-30)))[..., None]) & open_in[..., None]
    alpha = torch.where(keep, alpha, torch.zeros_like(alpha))
    log1m = torch.where(keep, log1m, torch.zeros_like(log1m))
    csum = torch.cumsum(log1m, -1)
    T_before = T_in[..., None] * torch.exp(csum - log1m)
    return alpha, T_before, T_in * torch.exp(csum[..., -1]), keep[..., -1]


def composite_reference(coef: torch.Tensor, values: torch.Tensor, binning: Binning, background: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain-autograd compositing. coef (P,6), values (P,C) per pair, background (C,) ->
    (tiles, tile², C) accumulated values incl. background, (tiles, tile²) final transmittance."""
    n_tiles = binning.tiles_x * binning.tiles_y
    basis = pixel_basis(coef.dtype, coef.device, binning.tile)
    n_pix, C = basis.shape[0], values.shape[1]
    coef_p = torch.cat([coef, _dummy_row(coef)])
    vals_p = _pad(values, 0.0)
    T = coef.new_ones(n_tiles, n_pix)
    open_ = torch.ones(n_tiles, n_pix, dtype=torch.bool, device=coef.device)
    acc = coef.new_zeros(n_tiles, n_pix, C)
    for tiles, idx in binning.steps:
        lin = torch.matmul(basis, coef_p[idx].transpose(1, 2))  # (A, p, K)
        alpha, T_before, T_out, open_out = _chunk_alpha(lin, T[tiles], open_[tiles])
        w = alpha * T_before
        acc = acc.index_add(0, tiles, torch.bmm(w, vals_p[idx]))
        T = T.index_copy(0, tiles, T_out)
        open_ = open_.index_copy(0, tiles, open_out)
    return acc + T[..., None] * background, T


@functools.cache
def _just_below(value: float, dtype: torch.dtype) -> float:
    """The largest ``dtype`` number below ``value`` as rounded to ``dtype`` (``x > it`` is ``x >= value``)."""
    v = torch.tensor(value, dtype=dtype)
    return float(torch.nextafter(v, torch.zeros_like(v)))


def _chunk_weights_fast(lin: torch.Tensor, T_in: torch.Tensor, open_in: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """No-grad twin of :func:`_chunk_alpha` in the (A,K,p) layout, in place on ``lin``.

    Transmittance comes from a cumulative product (no log/exp round trip) that starts from the incoming one, so it
    is absolute throughout; every step writes into a buffer of its own or in place (each full pass over the chunk
    costs about as much as the arithmetic). Returns alpha used (A,K,p), weights alpha·T_before (A,K,p), outgoing
    transmittance (A,p) and "still compositing" flags (A,p)."""
    A, K, _ = lin.shape
    alpha = lin.clamp_min_(_LOG_FLOOR).exp_()
    alpha.clamp_max_(ALPHA_MAX)
    torch.nn.functional.threshold_(alpha, _just_below(ALPHA_MIN, alpha.dtype), 0.0)  # alpha < 1/255 -> 0
    # TB[:, k] = transmittance before Gaussian k = T_in * prod_{j<k} (1 - alpha_j)
    TB = torch.empty_like(alpha)
    TB[:, 0] = T_in
    torch.sub(1.0, alpha[:, :-1], out=TB[:, 1:])
    TB.cumprod_(1)
    last_after = TB[:, -1] * torch.rsub(alpha[:, -1], 1.0)  # (A,p) transmittance after the chunk's last Gaussian
    # drop k once the transmittance after it, TB[:, k+1], falls below 1e-4: a suffix along K (it only falls)
    drop = torch.empty(alpha.shape, dtype=torch.bool, device=alpha.device)
    torch.lt(TB[:, 1:], T_MIN, out=drop[:, :-1])
    torch.lt(last_after, T_MIN, out=drop[:, -1])
    if not bool(open_in.all()):
        drop |= ~open_in[:, None, :]
    n_keep = K - drop.sum(1, keepdim=True, dtype=torch.int32)  # int32: bool sums are slow otherwise
    # outgoing transmittance: the one before the first dropped Gaussian, or after the last when none is dropped
    first_dropped = torch.gather(TB, 1, n_keep.clamp_max(K - 1).long()).squeeze(1)
    T_out = torch.where(n_keep.squeeze(1) < K, first_dropped, last_after)
    alpha.masked_fill_(drop, 0.0)
    w = TB.mul_(alpha)
    return alpha, w, T_out, ~drop[:, -1]


class _Composite(torch.autograd.Function):
    """Same maths as :func:`composite_reference`, with a hand-written backward over the saved chunks.

    Works in the (A,K,p) layout (Gaussians x pixels): log-alpha for a chunk is one (A·K,6)@(6,p) matmul and the
    scans over depth run along a non-innermost dimension, which vectorises across pixels."""

    @staticmethod
    def forward(ctx, coef, values, background, binning: Binning, keep_for_backward: bool = True):
        n_tiles = binning.tiles_x * binning.tiles_y
        basis_t = pixel_basis(coef.dtype, coef.device, binning.tile).T.contiguous()  # (6, p)
        n_pix, C = basis_t.shape[1], values.shape[1]
        coef_p = torch.cat([coef, _dummy_row(coef)])
        vals_p = _pad(values, 0.0)
        T = coef.new_ones(n_tiles, n_pix)
        open_ = torch.ones(n_tiles, n_pix, dtype=torch.bool, device=coef.device)
        acc = coef.new_zeros(n_tiles, C, n_pix)  # channels-first: (A,C,K)@(A,K,p) is the fast bmm orientation
        saved = []
        for tiles, idx in binning.steps:
            # Tiles whose every pixel has stopped contribute nothing more (3DGS's early exit, per tile).
            live = open_[tiles].any(1)
            if not bool(live.all()):
                tiles, idx = tiles[live], idx[live]
                if len(tiles) == 0:
                    continue
            A, K = idx.shape
            lin = torch.mm(coef_p[idx.reshape(-1)], basis_t).view(A, K, n_pix)
            alpha, w, T_out, open_out = _chunk_weights_fast(lin, T[tiles], open_[tiles])
            acc.index_add_(0, tiles, torch.bmm(vals_p[idx].transpose(1, 2), w))
            T[tiles] = T_out
            open_[tiles] = open_out
            if keep_for_backward:
                saved.append((tiles, idx, alpha, w))
        ctx.binning = binning
        ctx.saved_chunks = saved
        ctx.save_for_backward(coef, values, background, T)
        return acc.transpose(1, 2) + T[..., None] * background, T

    @staticmethod
    def backward(ctx, g_acc, g_T):
        coef, values, background, T_final = ctx.saved_tensors
        basis = pixel_basis(coef.dtype, coef.device, ctx.binning.tile)  # (p, 6)
        vals_p = _pad(values, 0.0)
        g_cp = g_acc.transpose(1, 2).contiguous()  # (tiles, C, p): the fast bmm orientations below
        # S = d(loss)/d(light arriving behind the current Gaussian), accumulated back to front.
        gT = (g_acc * background).sum(-1)
        if g_T is not None:
            gT = gT + g_T
        S = T_final * gT
        g_coef = coef.new_zeros(coef.shape[0] + 1, 6)
        g_vals = values.new_zeros(values.shape[0] + 1, values.shape[1])
        for tiles, idx, alpha, w in reversed(ctx.saved_chunks):
            A, K = idx.shape
            g = g_cp[tiles]  # (A, C, p)
            vals = vals_p[idx]  # (A, K, C)
            wG = torch.bmm(vals, g).mul_(w)  # (A, K, p): weight x d(loss)/d(weight)
            S_t = S[tiles]
            csum = torch.cumsum(wG, 1)
            total = csum[:, -1].clone()
            # d(loss)/d(log alpha) = w·G - alpha/(1-alpha) · S_after, S_after = S_t + sum_{j>k} w_j G_j;
            # in place, in as few full passes as possible: csum becomes -S_after, ratio alpha/(1-alpha)
            neg_S_after = csum.sub_((total + S_t)[:, None, :])
            ratio = torch.rsub(alpha, 1.0)
            torch.div(alpha, ratio, out=ratio)
            d_lin = wG.addcmul_(neg_S_after, ratio)
            d_lin.masked_fill_(alpha >= ALPHA_MAX, 0.0)  # clamped at 0.99: no gradient
            flat = idx.reshape(-1)
            g_coef.index_add_(0, flat, torch.mm(d_lin.view(A * K, -1), basis))
            g_vals.index_add_(0, flat, torch.bmm(g, w.transpose(1, 2)).transpose(1, 2).reshape(A * K, -1))
            S[tiles] = S_t + total
        g_bg = (g_acc * T_final[..., None]).sum((0, 1)) if ctx.needs_input_grad[2] else None
        return g_coef[:-1], g_vals[:-1], g_bg, None, None


def composite(coef: torch.Tensor, values: torch.Tensor, binning: Binning, background: torch.Tensor,
              custom_backward: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Composite per-pair coefficients/values into (tiles, tile², C) and final transmittance (tiles, tile²)."""
    if custom_backward:
        # Without autograd (e.g. previews under no_grad) nothing is kept for a backward pass.
        needs_grad = torch.is_grad_enabled() and (coef.requires_grad or values.requires_grad
                                                  or background.requires_grad)
        return _Composite.apply(coef, values, background, binning, needs_grad)
    return composite_reference(coef, values, binning, background)


def untile(x: torch.Tensor, binning: Binning, width: int, height: int) -> torch.Tensor:
    """(tiles, tile², ...) -> (H, W, ...)."""
    rest = x.shape[2:]
    n = binning.tile
    x = x.reshape(binning.tiles_y, binning.tiles_x, n, n, *rest).transpose(1, 2)
    return x.reshape(binning.tiles_y * n, binning.tiles_x * n, *rest)[:height, :width]
