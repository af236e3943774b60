"""Parametric bodies and the animatable Gaussian avatar."""

from zerohsi.body.params import CORE_JOINTS, BodyModel, BodyOutput, BodyParams, core_joints

__all__ = ["CORE_JOINTS", "BodyModel", "BodyOutput", "BodyParams", "core_joints"]
