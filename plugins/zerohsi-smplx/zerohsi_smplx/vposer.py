"""VPoser, the SMPL-X body-pose prior, and the ``vposer`` refiner that optimises a motion in its latent space.

The modules here reproduce the layers of VPoser **v1** (``human_body_prior`` 0.8.5.0 on PyPI, weights
``vposer_v1_0``) and **v2** (``V02_05``) exactly, parameter for parameter, so the user's released weights load with
``load_state_dict``. zerohsi does not import ``human_body_prior`` itself: the PyPI release pulls in opencv, pyrender
and torchgeometry, its axis-angle decoding fails on current torch (torchgeometry subtracts bool tensors) and its
loader unpickles checkpoints and executes code from the experiment folder. Here weights are read with
``torch.load(weights_only=True)`` and poses are decoded to rotation matrices (the network's own output) and
converted with zerohsi's geometry helpers.

The refiner (paper, Sec. refinement): z_t ∈ R³² per frame, initialised with the encoder's mean of the fitted
pose; the body pose of each frame is decode(z_t); the loss is the physics objective of
:mod:`zerohsi.refine.physics` (joint fit + 1e-3·(contact + λ_smooth·smoothness), optional extras); Adam, lr 0.05,
1000 iterations, root translation and orientation optimised alongside.
"""

from __future__ import annotations

import os
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from zerohsi.errors import UserError
from zerohsi.io import load_tensors
from zerohsi_smplx.vposer_config import DOWNLOAD, VPoserRefinerConfig, find_weights_file

NUM_JOINTS = 21
LATENT_DIM = 32
NUM_NEURONS = 512


def rot6d_columns_to_matrix(x: torch.Tensor) -> torch.Tensor:
    """VPoser's 6-D decoding: (..., 6) read as a 3x2 matrix (row-major) whose two columns are Gram-Schmidt
    orthonormalised -> (..., 3, 3). The layout differs from :func:`zerohsi.geometry.rotation_6d_to_matrix`
    (which takes the two columns one after the other), so it is kept here, next to the weights that need it."""
    m = x.reshape(*x.shape[:-1], 3, 2)
    b1 = F.normalize(m[..., 0], dim=-1)
    b2 = F.normalize(m[..., 1] - (b1 * m[..., 1]).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


class VPoserV1(nn.Module):
    """VPoser v1 layers (names as in the released ``vposer_v1_0`` snapshots); poses are 21 SMPL(-X) body joints."""

    version = 1

    def __init__(self, num_neurons: int = NUM_NEURONS, latent_dim: int = LATENT_DIM) -> None:
        super().__init__()
        n = NUM_JOINTS * 3
        self.latent_dim = latent_dim
        self.bodyprior_enc_bn1 = nn.BatchNorm1d(n)
        self.bodyprior_enc_fc1 = nn.Linear(n, num_neurons)
        self.bodyprior_enc_bn2 = nn.BatchNorm1d(num_neurons)
        self.bodyprior_enc_fc2 = nn.Linear(num_neurons, num_neurons)
        self.bodyprior_enc_mu = nn.Linear(num_neurons, latent_dim)
        self.bodyprior_enc_logvar = nn.Linear(num_neurons, latent_dim)
        self.dropout = nn.Dropout(p=0.1)
        self.bodyprior_dec_fc1 = nn.Linear(latent_dim, num_neurons)
        self.bodyprior_dec_fc2 = nn.Linear(num_neurons, num_neurons)
        self.bodyprior_dec_out = nn.Linear(num_neurons, NUM_JOINTS * 6)

    def encode_mean(self, pose_aa: torch.Tensor) -> torch.Tensor:
        """(B,63) axis-angle body pose -> (B,latent) posterior mean."""
        x = self.bodyprior_enc_bn1(pose_aa.reshape(pose_aa.shape[0], -1))
        x = F.leaky_relu(self.bodyprior_enc_fc1(x), 0.2)
        x = self.dropout(self.bodyprior_enc_bn2(x))
        x = F.leaky_relu(self.bodyprior_enc_fc2(x), 0.2)
        return self.bodyprior_enc_mu(x)

    def decode_matrices(self, z: torch.Tensor) -> torch.Tensor:
        """(B,latent) -> (B,21,3,3) joint rotation matrices."""
        x = self.dropout(F.leaky_relu(self.bodyprior_dec_fc1(z), 0.2))
        x = F.leaky_relu(self.bodyprior_dec_fc2(x), 0.2)
        return rot6d_columns_to_matrix(self.bodyprior_dec_out(x).reshape(z.shape[0], NUM_JOINTS, 6))


class _Posterior(nn.Module):
    """v2's NormalDistDecoder: the parameters of q(z | pose) (only the mean is used here)."""

    def __init__(self, num_in: int, latent_dim: int) -> None:
        super().__init__()
        self.mu = nn.Linear(num_in, latent_dim)
        self.logvar = nn.Linear(num_in, latent_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mu(x)


class VPoserV2(nn.Module):
    """VPoser v2 layers (``encoder_net`` / ``decoder_net`` Sequentials, as in the released V02_05 weights)."""

    version = 2

    def __init__(self, num_neurons: int = NUM_NEURONS, latent_dim: int = LATENT_DIM) -> None:
        super().__init__()
        n = NUM_JOINTS * 3
        self.latent_dim = latent_dim
        # indices matter: they are the state_dict keys of the released weights
        self.encoder_net = nn.Sequential(
            nn.Flatten(), nn.BatchNorm1d(n), nn.Linear(n, num_neurons), nn.LeakyReLU(), nn.BatchNorm1d(num_neurons),
            nn.Dropout(0.1), nn.Linear(num_neurons, num_neurons), nn.Linear(num_neurons, num_neurons),
            _Posterior(num_neurons, latent_dim))
        self.decoder_net = nn.Sequential(
            nn.Linear(latent_dim, num_neurons), nn.LeakyReLU(), nn.Dropout(0.1), nn.Linear(num_neurons, num_neurons),
            nn.LeakyReLU(), nn.Linear(num_neurons, NUM_JOINTS * 6))

    def encode_mean(self, pose_aa: torch.Tensor) -> torch.Tensor:
        return self.encoder_net(pose_aa.reshape(pose_aa.shape[0], -1))

    def decode_matrices(self, z: torch.Tensor) -> torch.Tensor:
        return rot6d_columns_to_matrix(self.decoder_net(z).reshape(z.shape[0], NUM_JOINTS, 6))


def load_vposer(path: str | os.PathLike, version: str = "auto") -> nn.Module:
    """Load the user's VPoser weights (a v1 ``snapshots/*.pt`` state dict, a v2 ``.ckpt``, or their folder) into
    :class:`VPoserV1` / :class:`VPoserV2`, in eval mode. Never unpickles arbitrary objects."""
    file = find_weights_file(path)
    data = load_tensors(file, "VPoser weights file", f"re-download it from {DOWNLOAD} or save its state_dict with "
                        "torch.save")
    state = data.get("state_dict", data) if isinstance(data, dict) else None
    if not isinstance(state, dict):
        raise UserError(f"'{file}' holds no VPoser state dict; re-download it from {DOWNLOAD}.")
    state = {k[len("vp_model."):] if k.startswith("vp_model.") else k: v for k, v in state.items()}
    if version == "auto":
        version = "v2" if any(k.startswith("decoder_net.") for k in state) else "v1"
    if version not in ("v1", "v2"):
        raise UserError(f"Unknown VPoser version '{version}'; use auto, v1 or v2.")
    model = VPoserV1() if version == "v1" else VPoserV2()
    wanted = model.state_dict().keys()
    state = {k: v for k, v in state.items() if k in wanted}
    missing = [k for k in wanted if k not in state]
    if missing:
        raise UserError(f"'{file}' is not a VPoser {version} weights file (missing {missing[0]} and "
                        f"{len(missing) - 1} more); check the file or set the refiner's `version`.")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1].strip()
        raise UserError(f"'{file}' does not fit VPoser {version} ({first}); check the file or its version.") from None
    return model.eval()


class VPoserRefiner:
    """Refines SMPL-X (or SMPL) motions: the first 21 body joints come from the VPoser decoder."""

    def __init__(self, cfg: VPoserRefinerConfig, vposer: Optional[nn.Module] = None) -> None:
        self.cfg = cfg
        if cfg.iters < 0 or cfg.lr <= 0:
            raise UserError("refiner 'vposer' needs iters >= 0 and lr > 0.")
        self.vposer = vposer if vposer is not None else load_vposer(cfg.weights, cfg.version)
        self.vposer.eval()
        for p in self.vposer.parameters():
            p.requires_grad_(False)

    def refine(self, motion, setup=None):
        """(Motion, setup) -> (refined Motion, {'before': terms, 'after': terms}); see the module docstring."""
        from zerohsi.refine.physics import cpu_threads

        with cpu_threads(self.cfg.cpu_threads if motion.body.transl.device.type == "cpu" else 0):
            return self._refine(motion, setup)

    def _refine(self, motion, setup):
        from zerohsi.geometry import matrix_to_axis_angle
        from zerohsi.refine.physics import PhysicsObjective, optimize, resolve_body_model, with_body

        model = resolve_body_model(None, setup, motion)
        if getattr(model, "name", None) != "smplx":
            raise UserError(f"The vposer refiner works on SMPL-X bodies, not '{getattr(model, 'name', '?')}'; use "
                            "avatar.body=smplx or the built-in 'physics' refiner.")
        torch.manual_seed(int(self.cfg.seed))
        objective = PhysicsObjective(self.cfg, model, motion, setup)
        body = motion.body.detach().to(dtype=torch.float32)
        vp = self.vposer.to(body.transl.device)
        rest = body.body_pose[:, NUM_JOINTS * 3:]  # SMPL's two hand joints stay as fitted
        with torch.no_grad():
            z0 = vp.encode_mean(body.body_pose[:, :NUM_JOINTS * 3])
        z = z0.clone().requires_grad_(True)
        transl = body.transl.clone().requires_grad_(self.cfg.optimize_root)
        orient = body.global_orient.clone().requires_grad_(self.cfg.optimize_root)

        def decode() -> torch.Tensor:
            aa = matrix_to_axis_angle(vp.decode_matrices(z)).reshape(z.shape[0], -1)
            return torch.cat([aa, rest], 1)

        def loss() -> torch.Tensor:
            total = objective.total(objective.terms(transl, orient, decode()))
            if self.cfg.w_latent > 0:
                total = total + self.cfg.w_latent * (z ** 2).sum()
            return total

        # "before" is the fitted motion itself; the latent initialisation's own reconstruction error is reported too
        before = objective.report(transl, orient, body.body_pose)
        with torch.no_grad():
            before["decoded_init_joint_offset_mm"] = objective.report(transl, orient, decode())["joint_offset_mm"]
        params = [z] + ([transl, orient] if self.cfg.optimize_root else [])
        optimize(params, loss, self.cfg.iters, self.cfg.lr, self.cfg.lr_final_ratio, self.cfg.cpu_threads)
        with torch.no_grad():
            pose = decode()
        after = objective.report(transl.detach(), orient.detach(), pose)
        after["latent_norm"] = float(z.detach().norm(dim=-1).mean())
        new = body.replace(transl=transl.detach(), global_orient=orient.detach(), body_pose=pose)
        return with_body(motion, new, "vposer"), {"before": before, "after": after}
