"""Which torch device a component runs on: the one rule every component's ``device`` option follows."""

from __future__ import annotations

import torch

from zerohsi.errors import UserError


def resolve_device(name: str, option: str = "device") -> torch.device:
    """``auto`` -> CUDA when present, else CPU; ``cpu``, ``cuda``, ``cuda:N`` as given. An explicit CUDA device
    without CUDA, or a name torch does not know, is a UserError naming the config ``option``."""
    name = str(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"{option}={name} was requested but CUDA is not available; use {option}=auto or "
                        f"{option}=cpu.")
    try:
        return torch.device(name)
    except RuntimeError:
        raise UserError(f"{option}={name!r} is not a torch device; use auto, cpu, cuda or cuda:N.") from None
