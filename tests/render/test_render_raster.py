"""The torch backend: analytic profile, naive-loop agreement, occlusion order, part masks, gradients."""

from __future__ import annotations

import math

import pytest
import torch
from render_helpers import naive_render, random_gaussians

from zerohsi.cameras import Camera
from zerohsi.errors import UserError
from zerohsi.gaussians import Gaussians
from zerohsi.geometry import make_transform, rotation_6d_to_matrix
from zerohsi.render import GROUP_NAMES, group_features, render


def _camera(width=32, height=32, focal=50.0, cx=None, cy=None, dtype=torch.float32) -> Camera:
    K = torch.tensor([[focal, 0, width / 2 if cx is None else cx], [0, focal, height / 2 if cy is None else cy],
                      [0, 0, 1]], dtype=dtype)
    return Camera(K, torch.eye(4, dtype=dtype), width, height)


def _blob(xyz, scale, opacity, color, dtype=torch.float32, group=None) -> Gaussians:
    g = Gaussians(torch.tensor([xyz], dtype=dtype), torch.tensor([[1.0, 0, 0, 0]], dtype=dtype),
                  torch.full((1, 3), scale, dtype=dtype), torch.tensor([opacity], dtype=dtype),
                  torch.tensor([color], dtype=dtype))
    return g.with_group(group) if group is not None else g


@pytest.mark.parametrize("tile_size", [8, 16])
def test_isotropic_gaussian_profile_and_total_alpha(tile_size):
    cam = _camera(cx=16.5, cy=15.5, dtype=torch.float64)  # the mean falls on pixel centre (16, 15)
    z, s, o = 2.0, 0.05, 0.5
    g = _blob((0.0, 0.0, z), s, o, (0.2, 0.6, 1.0), dtype=torch.float64)
    r = render(g, cam, background=(0.1, 0.1, 0.1), tile_size=tile_size)
    var = (50.0 * s / z) ** 2 + 0.3  # projected variance + the 0.3 px low-pass
    ys, xs = torch.meshgrid(torch.arange(32, dtype=torch.float64), torch.arange(32, dtype=torch.float64),
                            indexing="ij")
    expected = o * torch.exp(-0.5 * ((xs - 16) ** 2 + (ys - 15) ** 2) / var)
    expected = torch.where(expected >= 1 / 255, expected, torch.zeros_like(expected))
    torch.testing.assert_close(r.alpha, expected, atol=1e-12, rtol=1e-9)
    # integral of the 2-D Gaussian: o * 2 pi var (the 1/255 cut-off removes a sliver)
    assert abs(float(r.alpha.sum()) - o * 2 * math.pi * var) < 0.01 * o * 2 * math.pi * var
    torch.testing.assert_close(r.rgb, expected[..., None] * torch.tensor([0.2, 0.6, 1.0], dtype=torch.float64)
                               + (1 - expected[..., None]) * 0.1)
    assert torch.allclose(r.depth[expected > 0], torch.full_like(r.depth[expected > 0], z))
    assert float(r.depth[expected == 0].abs().max()) == 0.0


@pytest.mark.parametrize("extent", [{"extent_sigma": 3.0, "opacity_aware": False},
                                    {"extent_sigma": 3.33, "opacity_aware": True}])
def test_matches_naive_per_pixel_loop(extent):
    # dense and opaque enough that the alpha clamp, the 1/255 skip and early termination all occur
    g = random_gaussians(60, seed=5, dtype=torch.float64, spread=0.3)
    g = Gaussians(g.means, g.quats, g.scales * 1.5, (g.opacities + 0.3).clamp_max(0.999), g.colors)
    cam = Camera.look_at((1.6, -0.5, 0.6), (0.0, 0.0, 0.0), width=20, height=14, fov_deg=50, dtype=torch.float64)
    rgb_ref, alpha_ref = naive_render(g, cam, tile=8, **extent)
    assert int((alpha_ref > 0.999).sum()) > 5  # saturated pixels: early termination is exercised
    for chunk in (4, 64):
        r = render(g, cam, tile_size=8, chunk=chunk, **extent)
        torch.testing.assert_close(r.rgb, rgb_ref, atol=1e-10, rtol=1e-8)
        torch.testing.assert_close(r.alpha, alpha_ref, atol=1e-10, rtol=1e-8)
    if extent["opacity_aware"]:  # every pixel a Gaussian visibly touches is composited: tile size is irrelevant
        for tile in (4, 16):
            torch.testing.assert_close(render(g, cam, tile_size=tile, **extent).rgb, rgb_ref, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("swap_input_order", [False, True])
def test_occlusion_follows_depth_not_input_order(swap_input_order):
    cam = _camera(cx=16.5, cy=16.5)
    red = _blob((0.0, 0.0, 2.0), 0.05, 0.6, (1.0, 0.0, 0.0), group=2)  # sigma ~1.4 px
    blue = _blob((0.0, 0.0, 3.0), 0.3, 0.6, (0.0, 0.0, 1.0), group=1)  # sigma ~5 px
    parts = [blue, red] if swap_input_order else [red, blue]
    r = render(Gaussians.cat(parts), cam, with_groups=True)
    centre = r.rgb[16, 16]
    torch.testing.assert_close(centre, torch.tensor([0.6, 0.0, 0.4 * 0.6]), atol=1e-5, rtol=0)
    # per-part coverage: the object in front covers 0.6, the human behind it only what shows through
    torch.testing.assert_close(r.groups[16, 16], torch.tensor([0.0, 0.24, 0.6]), atol=1e-5, rtol=0)
    masks = r.part_masks(threshold=0.3)
    assert set(masks) == set(GROUP_NAMES)
    assert bool(masks["object"][16, 16]) and not bool(masks["human"][16, 16])
    # 4 px off the small red blob the big blue one shows through
    assert bool(masks["human"][16, 20]) and not bool(masks["object"][16, 20])
    # moving red behind blue swaps the result
    red_back = _blob((0.0, 0.0, 4.0), 0.4, 0.6, (1.0, 0.0, 0.0), group=2)
    r2 = render(Gaussians.cat([red_back, blue]), cam)
    torch.testing.assert_close(r2.rgb[16, 16], torch.tensor([0.24, 0.0, 0.6]), atol=1e-5, rtol=0)


def test_features_and_group_channels_in_one_pass(small_scene, small_camera):
    g = Gaussians.cat([small_scene.select(slice(0, 50)), small_scene.select(slice(50, 100)),
                       small_scene.select(slice(100, 150))], groups=[0, 1, 2])
    feats = group_features(g)
    assert feats.shape == (150, 3) and torch.equal(feats.sum(1), torch.ones(150))
    r = render(g, small_camera, features=feats, with_groups=True)
    torch.testing.assert_close(r.features, r.groups)
    # coverages of all groups add up to the total alpha
    torch.testing.assert_close(r.groups.sum(-1), r.alpha, atol=1e-5, rtol=0)
    # same rgb as a render without extra channels
    torch.testing.assert_close(render(g, small_camera).rgb, r.rgb)


def test_empty_and_offscreen_scenes_render_background(small_camera):
    behind = _blob((0.0, 0.0, -2.0), 0.1, 0.9, (1.0, 1.0, 1.0))  # camera identity looks down +z
    r = render(behind, _camera(), background=(0.25, 0.5, 0.75))
    torch.testing.assert_close(r.rgb, torch.tensor([0.25, 0.5, 0.75]).expand(32, 32, 3))
    assert float(r.alpha.abs().max()) == 0.0


def _loss_fn(cam, weights, **kw):
    w_rgb, w_alpha, w_depth = weights

    def f(means, quats, scales, opac, colors):
        r = render(Gaussians(means, quats, scales, opac, colors), cam, background=(0.3, 0.2, 0.1), **kw)
        return (r.rgb * w_rgb).sum() + (r.alpha * w_alpha).sum() + (r.depth * w_depth).sum()

    return f


def test_gradients_match_finite_differences():
    g = random_gaussians(8, seed=11, dtype=torch.float64, sh_degree=1, spread=0.25)
    cam = Camera.look_at((1.2, -0.4, 0.3), (0.0, 0.0, 0.0), width=12, height=10, fov_deg=50, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    weights = (torch.rand(10, 12, 3, generator=gen, dtype=torch.float64),
               torch.rand(10, 12, generator=gen, dtype=torch.float64),
               torch.rand(10, 12, generator=gen, dtype=torch.float64) * 0.1)
    inputs = [t.clone().requires_grad_(True) for t in (g.means, g.quats, g.scales, g.opacities, g.colors)]
    for custom in (True, False):
        assert torch.autograd.gradcheck(_loss_fn(cam, weights, tile_size=8, chunk=4, custom_backward=custom),
                                        inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-9), (torch.float32, 1e-3)])
def test_custom_backward_matches_autograd_reference(small_scene, small_camera, dtype, tol):
    gen = torch.Generator().manual_seed(1)
    weights = (torch.rand(32, 40, 3, generator=gen, dtype=dtype), torch.rand(32, 40, generator=gen, dtype=dtype),
               torch.rand(32, 40, generator=gen, dtype=dtype) * 0.1)
    scene, cam = small_scene.to(dtype), small_camera.to(dtype)
    grads, images = [], []
    for custom in (True, False):
        inputs = [t.clone().requires_grad_(True) for t in (scene.means, scene.quats, scene.scales,
                                                           scene.opacities, scene.colors)]
        r = render(Gaussians(*inputs), cam, chunk=16, custom_backward=custom)
        images.append(r.rgb.detach())
        loss = _loss_fn(cam, weights, chunk=16, custom_backward=custom)(*inputs)
        loss.backward()
        grads.append([t.grad for t in inputs])
    torch.testing.assert_close(images[0], images[1], atol=tol * 1e-2, rtol=tol * 1e-2)
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, atol=tol, rtol=tol)


def test_pose_gradients_reach_object_and_camera():
    g = random_gaussians(10, seed=2, dtype=torch.float64, spread=0.2)
    cam = Camera.look_at((1.2, -0.4, 0.3), (0.0, 0.0, 0.0), width=12, height=10, fov_deg=50, dtype=torch.float64)
    target = torch.rand(10, 12, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)

    def object_pose(r6, t):
        T = make_transform(rotation_6d_to_matrix(r6), t)
        return (render(g.transform(T), cam, tile_size=8).rgb * target).sum()

    def camera_pose(r6, t):
        T = make_transform(rotation_6d_to_matrix(r6), t)
        return (render(g, cam.with_pose(T @ cam.world_to_cam), tile_size=8).rgb * target).sum()

    r6 = torch.tensor([1.0, 0.02, -0.01, 0.01, 1.0, 0.03], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.01, -0.02, 0.01], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(object_pose, (r6, t), eps=1e-6, atol=1e-5, rtol=1e-4)
    assert torch.autograd.gradcheck(camera_pose, (r6, t), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_backend_selection_and_registration():
    from zerohsi.plugins import get_host
    from zerohsi.render import get_backend
    from zerohsi.render.torch_backend import rasterize_torch

    assert get_backend("auto", torch.device("cpu")) is rasterize_torch
    reg = get_host().registry("render_backend")
    assert {"torch", "gsplat"} <= set(reg.names())
    assert reg.get("torch").build() is rasterize_torch
    with pytest.raises(UserError):
        render(_blob((0, 0, 2.0), 0.1, 0.5, (1, 1, 1)), _camera(), backend="gsplat")
    with pytest.raises(UserError, match="Unknown render_backend"):
        render(_blob((0, 0, 2.0), 0.1, 0.5, (1, 1, 1)), _camera(), backend="no_such_backend")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_torch_backend_matches_gsplat_on_gpu():
    pytest.importorskip("gsplat")
    g = random_gaussians(3000, seed=7, sh_degree=2, spread=1.0).to("cuda")
    g = Gaussians.cat([g.select(slice(0, 2000)), g.select(slice(2000, 3000))], groups=[0, 1])
    cam = Camera.look_at((2.5, -1.5, 1.0), (0.0, 0.0, 0.0), width=96, height=72, fov_deg=55).to("cuda")
    feats = torch.rand(len(g), 4, device="cuda")
    outs = {b: render(g, cam, backend=b, features=feats, with_groups=True, background=(0.1, 0.2, 0.3))
            for b in ("torch", "gsplat")}
    a, b = outs["torch"], outs["gsplat"]
    for name in ("rgb", "alpha", "features", "groups"):
        torch.testing.assert_close(getattr(a, name), getattr(b, name), atol=2e-3, rtol=1e-3)
    m = a.alpha > 0.5
    torch.testing.assert_close(a.depth[m], b.depth[m], atol=1e-2, rtol=1e-3)
