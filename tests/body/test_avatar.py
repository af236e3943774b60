import pytest
import torch

from zerohsi.body.avatar import Avatar
from zerohsi.body.params import BodyParams
from zerohsi.errors import UserError
from zerohsi.geometry import quat_to_matrix


def test_rest_pose_matches_mesh(anny_body, avatar):
    params = anny_body.rest_params(1)
    body, g = avatar.posed(params)
    verts = body.vertices[0]
    # every Gaussian lies on (1 mm off) the posed mesh: its distance to the nearest vertex is below the edge length
    d = torch.cdist(g.means, verts).min(1).values
    assert d.max() < 0.03 and d.median() < 0.01
    assert torch.equal(g.group, torch.ones(len(g), dtype=torch.long))
    # colours start as the base colours (zero residual), orientations are unit quaternions
    assert torch.allclose(g.colors, torch.sigmoid(avatar.base_logit), atol=1e-6)
    assert torch.allclose(g.quats.norm(dim=-1), torch.ones(len(g)), atol=1e-5)


def test_skinning_moves_gaussians_rigidly_with_their_bone(anny_body, avatar):
    """Turning the whole body and bending one elbow: Gaussians bound to the forearm and hand (the elbow bone's subtree,
    whose own bones stay unrotated) follow the elbow bone's rigid motion exactly."""
    idx = anny_body.core_joint_index()["left_elbow"]
    rest = anny_body.rest_params(1)
    posed = rest.clone()
    posed.body_pose.view(1, -1, 3)[0, idx - 1] = torch.tensor([0.0, 0.0, 1.2])
    posed.global_orient[0] = torch.tensor([0.0, 0.0, 0.7])
    posed.transl[0] = torch.tensor([0.3, -0.2, 0.1])
    b0, g0 = avatar.posed(rest)
    b1, g1 = avatar.posed(posed)
    W = anny_body.skinning_weights
    tri = anny_body.faces[avatar.face_index]
    parents = anny_body.parents.tolist()
    subtree = [idx]
    for j in range(len(parents)):
        k = j
        while k > 0 and k != idx:
            k = parents[k]
        if k == idx and j != idx:
            subtree.append(j)
    rigid = (W[tri][..., subtree].sum(-1) > 0.9999).all(1)
    assert rigid.sum() > 3
    T = b1.joint_transforms[0, idx] @ torch.linalg.inv(b0.joint_transforms[0, idx])
    moved = g0.means[rigid] @ T[:3, :3].T + T[:3, 3]
    assert torch.allclose(moved, g1.means[rigid], atol=1e-4)
    R0, R1 = quat_to_matrix(g0.quats[rigid]), quat_to_matrix(g1.quats[rigid])
    assert torch.allclose(T[:3, :3] @ R0, R1, atol=1e-4)
    # and the forearm really moved
    assert (g1.means[rigid] - g0.means[rigid]).norm(dim=-1).min() > 0.05


def test_gradients_reach_pose_through_rendered_image(anny_body, avatar, avatar_camera, standing_params):
    from zerohsi.render import render

    params = standing_params.clone()
    params.body_pose.requires_grad_(True)
    params.transl.requires_grad_(True)
    g = avatar.gaussians(params, avatar_camera)
    out = render(g, avatar_camera, backend="torch")
    assert out.alpha.sum() > 20  # the avatar is in view
    target = torch.zeros_like(out.rgb)
    ((out.rgb - target) ** 2).mean().backward()
    assert params.transl.grad.abs().sum() > 0
    assert params.body_pose.grad.abs().sum() > 0
    assert all(p.grad is not None for p in avatar.color_parameters())
    avatar.zero_grad()


def test_colour_net_is_pose_and_view_dependent(anny_body, avatar):
    net = avatar.color_net
    with torch.no_grad():
        before = [p.clone() for p in net.parameters()]
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    try:
        rest = anny_body.rest_params(1)
        bent = rest.clone()
        bent.body_pose[0, :30] = 0.4
        c_a = avatar.pose(rest, torch.tensor([0.0, -3.0, 1.0])).colors
        c_b = avatar.pose(bent, torch.tensor([0.0, -3.0, 1.0])).colors
        c_c = avatar.pose(rest, torch.tensor([3.0, 0.0, 1.0])).colors
        assert (c_a - c_b).abs().max() > 1e-3 and (c_a - c_c).abs().max() > 1e-3
    finally:
        with torch.no_grad():
            for p, b in zip(net.parameters(), before, strict=True):
                p.copy_(b)


def test_save_load_round_trip(tmp_path, anny_body, avatar):
    path = tmp_path / "a.safetensors"
    avatar.save(path)
    back = Avatar.load(path, anny_body)
    p = anny_body.rest_params(1)
    p.body_pose[0, 3:9] = 0.3
    g0, g1 = avatar.gaussians(p), back.gaussians(p)
    for a, b in ((g0.means, g1.means), (g0.quats, g1.quats), (g0.scales, g1.scales), (g0.colors, g1.colors)):
        assert torch.allclose(a, b, atol=1e-6)
    assert back.appearance == avatar.appearance
    (tmp_path / "bad.safetensors").write_bytes(b"not a file")
    with pytest.raises(UserError):
        Avatar.load(tmp_path / "bad.safetensors", anny_body)


def test_appearance_presets_and_gap(anny_body, avatar):
    casual = torch.sigmoid(avatar.base_logit)
    formal = Avatar.create(anny_body, 600, appearance="formal", seed=0)
    assert (torch.sigmoid(formal.base_logit) - casual).abs().mean() > 0.1
    gap1 = avatar.with_appearance_gap(seed=3, strength=0.6)
    gap2 = avatar.with_appearance_gap(seed=3, strength=0.6)
    gap3 = avatar.with_appearance_gap(seed=4, strength=0.6)
    c1, c2, c3 = (torch.sigmoid(a.base_logit) for a in (gap1, gap2, gap3))
    assert torch.equal(c1, c2) and (c1 - c3).abs().mean() > 0.01 and (c1 - casual).abs().mean() > 0.02
    with pytest.raises(UserError):
        Avatar.create(anny_body, 10, appearance="nope")


def test_fit_colors_from_images(anny_body, avatar, avatar_camera, standing_params):
    """Base colours fitted to renders of a differently coloured copy move toward that copy's colours."""
    from zerohsi.render import render

    target = avatar.with_appearance_gap(seed=5, strength=1.0)
    student = avatar._copy_with(torch.sigmoid(avatar.base_logit.detach()))
    cams = [avatar_camera.resized(24, 24)]
    params = BodyParams.cat([standing_params])
    with torch.no_grad():
        images = [render(target.gaussians(standing_params, c), c, backend="torch").rgb for c in cams]
    hist = student.fit_colors(images, params, cams, iters=6, lr=0.3, backend="torch")
    assert hist[-1] < 0.9 * hist[0]
    before = (torch.sigmoid(avatar.base_logit) - torch.sigmoid(target.base_logit)).abs().mean()
    after = (torch.sigmoid(student.base_logit) - torch.sigmoid(target.base_logit)).abs().mean()
    assert after < before
