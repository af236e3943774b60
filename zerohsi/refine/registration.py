"""Built-in components of this role (import-light: heavy modules are imported inside the factories)."""

from __future__ import annotations

from zerohsi.refine.configs import PhysicsConfig


def _physics(cfg: PhysicsConfig):
    from zerohsi.refine.physics import PhysicsRefiner

    return PhysicsRefiner(cfg)


def register(register) -> None:
    register("physics", _physics, config=PhysicsConfig,
             description="Paper refinement objective on any body: joint fit, hand-object contact, smoothness; "
                         "optional scene penetration, foot skating; anatomical joint limits.")
