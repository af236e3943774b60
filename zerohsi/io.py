"""Atomic file writing: every output is written to a temporary name beside its target and renamed."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; it replaces ``path`` only if the block finishes."""
    path = Path(path)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix if suffix is not None else path.suffix,
                                   dir=path.parent)
    except OSError as exc:  # a parent that is a file, no permission, a full or read-only disk: the user's to fix
        from zerohsi.errors import UserError

        why = exc.strerror or type(exc).__name__
        raise UserError(f"Cannot write '{path}' ({why.lower()}); choose another output path.") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def atomic_savez(path: str | os.PathLike, **arrays: Any) -> None:
    """np.savez_compressed, atomically; arrays must be plain (no object dtype: files are loaded without pickle)."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load an npz without ever unpickling."""
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def load_tensors(path: str | os.PathLike, what: str, remedy: str) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU: tensors, numbers and containers only, whatever
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` says, so a poisoned file cannot run code. Any unreadable or refused file
    is one UserError "``path`` is not a readable ``what`` ...; ``remedy``" (torch's own message is not quoted: it
    advises loading the file unsafely)."""
    import torch

    from zerohsi.errors import UserError

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for refused or corrupt files
        raise UserError(f"'{path}' is not a readable {what} (it is corrupt, or holds objects other than tensors, "
                        f"which zerohsi never unpickles; {type(exc).__name__}); {remedy}.") from None
