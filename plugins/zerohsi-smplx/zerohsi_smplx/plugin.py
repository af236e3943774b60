"""Entry-point module of zerohsi-smplx (import-light: smplx and torch are imported inside the factories).

Hooks: ``register_body_models`` (the ``smplx`` backend). Further components of this package (e.g. refiners working
in SMPL-X space) add their own ``@hookimpl def register_<role>s(register)`` here.
"""

from __future__ import annotations

from zerohsi.plugins import hookimpl, lazy, requirements

ZEROHSI_PLUGIN_API = 1


@hookimpl
def register_body_models(register):
    from zerohsi_smplx.config import SmplxConfig, resolve_model_file

    register("smplx", lazy("zerohsi_smplx.body:SmplxBody"), config=SmplxConfig,
             requirements=requirements(resolve_model_file),
             description="SMPL-X / SMPL / SMPL+H bodies through the smplx package (needs your licensed model files).")


@hookimpl
def register_refiners(register):
    from zerohsi_smplx.vposer_config import VPoserRefinerConfig, find_weights_file

    register("vposer", lazy("zerohsi_smplx.vposer:VPoserRefiner"), config=VPoserRefinerConfig,
             requirements=requirements(lambda cfg: find_weights_file(cfg.weights)),
             description="Paper refinement in VPoser's latent space (SMPL-X bodies; needs your VPoser weights).")
