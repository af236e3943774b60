"""The vposer refiner on a random SMPL-X model with a randomly initialised VPoser (no weights can be shipped)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from zerohsi_smplx.testing import write_random_smplx_model
from zerohsi_smplx.vposer import VPoserV1, VPoserV2, load_vposer

from zerohsi.errors import UserError
from zerohsi.motion import Motion
from zerohsi.plugins import get_host

T = 6

#: layer shapes of the released VPoser v1 (vposer_v1_0) and v2 (V02_05) weights
V1_LAYOUT = {
    "bodyprior_enc_bn1.weight": (63,), "bodyprior_enc_fc1.weight": (512, 63), "bodyprior_enc_bn2.running_var": (512,),
    "bodyprior_enc_fc2.weight": (512, 512), "bodyprior_enc_mu.weight": (32, 512),
    "bodyprior_enc_logvar.bias": (32,), "bodyprior_dec_fc1.weight": (512, 32), "bodyprior_dec_fc2.weight": (512, 512),
    "bodyprior_dec_out.weight": (126, 512),
}
V2_LAYOUT = {
    "encoder_net.1.running_mean": (63,), "encoder_net.2.weight": (512, 63), "encoder_net.4.weight": (512,),
    "encoder_net.6.weight": (512, 512), "encoder_net.7.weight": (512, 512), "encoder_net.8.mu.weight": (32, 512),
    "encoder_net.8.logvar.bias": (32,), "decoder_net.0.weight": (512, 32), "decoder_net.3.weight": (512, 512),
    "decoder_net.5.weight": (126, 512),
}


@pytest.fixture(scope="module")
def smplx_body(tmp_path_factory):
    folder = write_random_smplx_model(tmp_path_factory.mktemp("smplx_models_vposer"))
    return get_host().build("body_model", "smplx", {"model_path": str(folder)})


@pytest.fixture(scope="module")
def vposer_file(tmp_path_factory):
    torch.manual_seed(0)
    vp = VPoserV1()
    with torch.no_grad():  # non-trivial normalisation statistics, as trained weights have
        vp.bodyprior_enc_bn1.running_var.uniform_(0.05, 0.3)
        vp.bodyprior_enc_bn2.running_mean.normal_(0, 0.1)
    folder = tmp_path_factory.mktemp("vposer_v1") / "snapshots"
    folder.mkdir()
    torch.save(vp.state_dict(), folder / "TR00_E096.pt")
    return folder.parent


def _motion(body, vposer) -> Motion:
    """A walk-in-place clip whose body poses the prior can express (decoded from a smooth latent path)."""
    g = torch.Generator().manual_seed(2)
    z = torch.randn(1, 32, generator=g) * 0.5 + torch.linspace(0, 1, T)[:, None] * 0.3 * torch.randn(1, 32,
                                                                                                     generator=g)
    from zerohsi.geometry import matrix_to_axis_angle

    with torch.no_grad():
        pose = matrix_to_axis_angle(vposer.decode_matrices(z)).reshape(T, -1)
    pose = pose + 0.05 * torch.randn(pose.shape, generator=g)  # fitting noise
    transl = torch.stack([torch.linspace(0, 0.5, T), torch.zeros(T), torch.full((T,), 0.9)], -1)
    params = body.rest_params(T).replace(transl=transl, body_pose=pose)
    return Motion(params, "smplx", 10.0)


def test_layouts_match_the_released_weights():
    for module, layout in ((VPoserV1(), V1_LAYOUT), (VPoserV2(), V2_LAYOUT)):
        state = module.state_dict()
        for key, shape in layout.items():
            assert tuple(state[key].shape) == shape, key


def test_load_round_trip_and_user_errors(vposer_file, tmp_path):
    vp = load_vposer(vposer_file)
    assert isinstance(vp, VPoserV1) and not vp.training
    v2 = VPoserV2()
    torch.save({"state_dict": {f"vp_model.{k}": v for k, v in v2.state_dict().items()}}, tmp_path / "v2.ckpt")
    loaded = load_vposer(tmp_path / "v2.ckpt")
    z = torch.randn(3, 32)
    assert isinstance(loaded, VPoserV2)
    assert torch.allclose(loaded.decode_matrices(z), v2.eval().decode_matrices(z))
    R = loaded.decode_matrices(z)
    assert torch.allclose(R @ R.transpose(-1, -2), torch.eye(3).expand_as(R), atol=1e-5)
    with pytest.raises(UserError, match="smpl-x.is.tue.mpg.de"):
        load_vposer(tmp_path / "nowhere")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError):
        load_vposer(tmp_path / "junk.pt")
    with pytest.raises(UserError, match="vposer"):
        get_host().build("refiner", "vposer", {})


def test_vposer_refiner_end_to_end(smplx_body, vposer_file):
    refiner = get_host().build("refiner", "vposer", {"weights": str(vposer_file), "iters": 25})
    motion = _motion(smplx_body, refiner.vposer)
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=smplx_body), scene=None, obj=None, dynamic=False)
    out, report = refiner.refine(motion, setup)
    assert out.body.body_pose.shape == motion.body.body_pose.shape and torch.isfinite(out.body.body_pose).all()
    assert out.provenance["refiners"] == ["vposer"]
    # the optimisation moves the decoded poses toward the fitted joints
    assert report["after"]["joint_offset_mm"] < report["before"]["decoded_init_joint_offset_mm"]
    # the 21 body joints it returns are a decoding of the prior (valid rotations, nothing left at the fitted values)
    assert not torch.allclose(out.body.body_pose, motion.body.body_pose, atol=1e-3)
    again, _ = refiner.refine(motion, setup)
    assert torch.equal(again.body.body_pose, out.body.body_pose)  # deterministic


def test_vposer_refiner_needs_an_smplx_body(vposer_file):
    refiner = get_host().build("refiner", "vposer", {"weights": str(vposer_file), "iters": 1})
    other = SimpleNamespace(name="anny")
    motion = Motion(_dummy_params(), "anny", 10.0)
    with pytest.raises(UserError, match="SMPL-X"):
        refiner.refine(motion, SimpleNamespace(avatar=SimpleNamespace(body_model=other), scene=None, obj=None))


def _dummy_params():
    from zerohsi.body.params import BodyParams

    z = torch.zeros(T, 3)
    return BodyParams(z, z.clone(), torch.zeros(T, 63), torch.zeros(T, 10))
