import pytest
import torch

from zerohsi.recon.losses import centroid_loss, mask_centroid, masked_mean_depth, photometric, ssim


def test_ssim_of_identical_images_is_one_and_drops_with_noise():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(32, 40, 3, generator=g)
    assert abs(float(ssim(a, a)) - 1.0) < 1e-5
    noisy = (a + 0.2 * torch.randn(32, 40, 3, generator=g)).clamp(0, 1)
    assert float(ssim(a, noisy)) < 0.9


def test_photometric_mixes_l1_and_dssim():
    a = torch.zeros(16, 16, 3)
    b = torch.full((16, 16, 3), 0.5)
    assert abs(float(photometric(a, b, 0.0)) - 0.5) < 1e-6
    mixed = float(photometric(a, b, 0.1))
    assert abs(mixed - (0.9 * 0.5 + 0.1 * (1 - float(ssim(a, b))))) < 1e-6


def test_mask_centroid_is_normalised_and_centroid_loss_vanishes_when_aligned():
    m = torch.zeros(10, 20)
    m[2:4, 5:7] = 1
    c = mask_centroid(m)
    assert torch.allclose(c, torch.tensor([6 / 20, 3 / 10]))
    assert float(centroid_loss(m, m)) == 0.0
    shifted = torch.roll(m, 4, dims=1)
    assert abs(float(centroid_loss(m, shifted)) - (4 / 20) ** 2) < 1e-6
    assert mask_centroid(torch.zeros(4, 4)) is None


def test_masked_mean_depth():
    depth = torch.arange(16.0).reshape(4, 4)
    mask = torch.zeros(4, 4)
    mask[0, :2] = 1
    assert float(masked_mean_depth(depth, mask)) == 0.5


def test_centroid_of_a_crop_is_normalised_by_the_full_image():
    from zerohsi.recon.fitting import crop_around

    full = torch.zeros(48, 64)
    full[20:30, 40:50] = 1
    crop = crop_around([], [full > 0], 64, 48, margin_px=3, margin_frac=0.0)
    assert (crop.x0, crop.y0, crop.x1, crop.y1) == (37, 17, 54, 34)
    part = crop.image(full)
    assert torch.allclose(mask_centroid(part, (crop.x0, crop.y0, 64, 48)), mask_centroid(full))
    cam_uv = torch.tensor([[5.0, 6.0], [10.0, 8.0]])
    both = crop_around([cam_uv], [full > 0], 64, 48, margin_px=0, margin_frac=0.0)
    assert (both.x0, both.y0, both.x1, both.y1) == (5, 6, 51, 31)


def test_keypoint_reprojection_is_robust_weighted_and_tolerant():
    from zerohsi.recon.losses import keypoint_reprojection

    target = torch.zeros(3, 2)
    uv = torch.tensor([[3.0, 4.0], [0.0, 0.0], [300.0, 0.0]])  # 5 px off, exact, a wild detection
    conf = torch.tensor([1.0, 1.0, 1.0])
    full = keypoint_reprojection(uv, target, conf, sigma_px=10.0)
    assert float(full) == pytest.approx((25 / 125 + 0 + 90000 / 90100) / 3, rel=1e-5)
    # the wild one saturates; with zero confidence it does not count at all
    assert float(keypoint_reprojection(uv, target, torch.tensor([1.0, 1.0, 0.0]), 10.0)) == pytest.approx(0.1, rel=1e-4)
    # within the tolerance nothing is paid
    assert float(keypoint_reprojection(uv[:2], target[:2], conf[:2], 10.0, tolerance_px=6.0)) == 0.0
