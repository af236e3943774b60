import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians
from zerohsi.geometry import axis_angle_to_matrix, invert_transform, make_transform, matrix_to_rotation_6d
from zerohsi.recon.tracking import delta_transform


def test_moving_the_scene_by_conjugated_delta_equals_moving_the_camera():
    g = torch.Generator().manual_seed(0)
    n = 50
    scene = Gaussians(torch.randn(n, 3, generator=g) + torch.tensor([0, 0, 1.0]),
                      torch.nn.functional.normalize(torch.randn(n, 4, generator=g), dim=-1),
                      torch.rand(n, 3, generator=g) * 0.1 + 0.01, torch.rand(n, generator=g), torch.rand(n, 3))
    cam = Camera.look_at([3.0, -2.0, 1.5], [0.0, 0.0, 1.0], width=64, height=48)
    R = axis_angle_to_matrix(torch.tensor([0.02, -0.03, 0.01]))
    rot6d, trans = matrix_to_rotation_6d(R), torch.tensor([0.05, -0.02, 0.03])
    delta = delta_transform(rot6d, trans)
    C = cam.world_to_cam
    G = invert_transform(C) @ delta @ C
    uv_a, z_a = cam.project(scene.transform(G).means)
    uv_b, z_b = cam.with_pose(delta @ C).project(scene.means)
    assert torch.allclose(uv_a, uv_b, atol=1e-3) and torch.allclose(z_a, z_b, atol=1e-5)
    assert torch.allclose(delta, make_transform(R, trans), atol=1e-6)
