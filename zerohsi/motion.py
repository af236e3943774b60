"""The 4D interaction: per-frame body parameters, object poses and cameras."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import torch

from zerohsi.body.params import BodyParams
from zerohsi.cameras import Camera
from zerohsi.errors import UserError
from zerohsi.io import atomic_savez, load_npz

FORMAT_VERSION = 1


@dataclass
class Motion:
    """T frames of a human-scene interaction.

    body: BodyParams with B = T (world frame, +Z up, metres); body_model: the backend name those parameters belong
    to; object_poses (T,4,4) object-to-world or None; cameras: K (T,3,3), world_to_cam (T,4,4) and the image size,
    or None; fps; provenance: free-form JSON-serialisable facts (generator, prompt, seed, ...).
    """

    body: BodyParams
    body_model: str
    fps: float
    object_poses: Optional[torch.Tensor] = None
    K: Optional[torch.Tensor] = None
    world_to_cam: Optional[torch.Tensor] = None
    image_size: Optional[tuple[int, int]] = None  # (width, height)
    provenance: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.body)

    def camera(self, t: int) -> Camera:
        if self.K is None or self.world_to_cam is None or self.image_size is None:
            raise ValueError("this motion carries no cameras")
        return Camera(self.K[t], self.world_to_cam[t], int(self.image_size[0]), int(self.image_size[1]))

    def cameras(self) -> list[Camera]:
        return [self.camera(t) for t in range(len(self))]

    def with_cameras(self, cameras: list[Camera]) -> Motion:
        return Motion(self.body, self.body_model, self.fps, self.object_poses,
                      torch.stack([c.K for c in cameras]), torch.stack([c.world_to_cam for c in cameras]),
                      (cameras[0].width, cameras[0].height), dict(self.provenance))

    def slice(self, start: int, stop: int) -> Motion:
        sl = slice(start, stop)
        return Motion(self.body[sl], self.body_model, self.fps,
                      None if self.object_poses is None else self.object_poses[sl],
                      None if self.K is None else self.K[sl],
                      None if self.world_to_cam is None else self.world_to_cam[sl], self.image_size,
                      dict(self.provenance))

    def detach(self) -> Motion:
        d = lambda t: None if t is None else t.detach()  # noqa: E731
        return Motion(self.body.detach(), self.body_model, self.fps, d(self.object_poses), d(self.K),
                      d(self.world_to_cam), self.image_size, dict(self.provenance))

    # -- IO ------------------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        arrays: dict[str, Any] = {f"body_{k}": v.astype(np.float32) for k, v in self.body.as_numpy().items()}
        arrays.update(format_version=np.int64(FORMAT_VERSION), body_model=np.str_(self.body_model),
                      fps=np.float64(self.fps), provenance=np.str_(json.dumps(self.provenance, default=str)))
        if self.object_poses is not None:
            arrays["object_poses"] = self.object_poses.detach().cpu().numpy().astype(np.float32)
        if self.K is not None:
            arrays["K"] = self.K.detach().cpu().numpy().astype(np.float32)
            arrays["world_to_cam"] = self.world_to_cam.detach().cpu().numpy().astype(np.float32)
            arrays["image_size"] = np.asarray(self.image_size, dtype=np.int64)
        atomic_savez(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Motion:
        try:
            d = load_npz(path)
        except FileNotFoundError:
            raise UserError(f"Motion file '{path}' does not exist; check the path.") from None
        except (ValueError, OSError, zipfile.BadZipFile, EOFError):
            # numpy's own message would advise loading with allow_pickle, which zerohsi never does
            raise UserError(f"'{path}' is not a readable zerohsi motion npz (not an npz of plain arrays).") from None
        missing = [k for k in ("body_transl", "body_global_orient", "body_body_pose", "body_shape", "body_model",
                               "fps") if k not in d]
        if missing:
            raise UserError(f"'{path}' is not a zerohsi motion file: missing {', '.join(missing)}.")
        _check_lengths(path, d)
        try:
            provenance = json.loads(str(d["provenance"])) if "provenance" in d else {}
        except ValueError:
            raise UserError(f"'{path}' has a provenance entry that is not JSON; re-save the motion.") from None
        if not isinstance(provenance, dict):
            raise UserError(f"'{path}' has a provenance entry that is not a JSON object; re-save the motion.")
        try:
            fps = float(d["fps"])
        except (TypeError, ValueError):
            raise UserError(f"'{path}' has a frame rate that is not a number.") from None
        if not (np.isfinite(fps) and fps > 0):
            raise UserError(f"'{path}' has a frame rate of {fps:g}; it must be positive.")
        t = lambda k: torch.from_numpy(d[k]).float()  # noqa: E731
        body = BodyParams(t("body_transl"), t("body_global_orient"), t("body_body_pose"), t("body_shape"))
        return cls(
            body=body, body_model=str(d["body_model"]), fps=fps,
            object_poses=t("object_poses") if "object_poses" in d else None,
            K=t("K") if "K" in d else None, world_to_cam=t("world_to_cam") if "world_to_cam" in d else None,
            image_size=tuple(int(x) for x in d["image_size"]) if "image_size" in d else None,
            provenance=provenance,
        )


#: per-frame arrays of a motion file and the trailing shape each must have (None: any width)
_PER_FRAME = {"body_transl": (3,), "body_global_orient": (3,), "body_body_pose": None, "body_shape": None,
              "object_poses": (4, 4), "K": (3, 3), "world_to_cam": (4, 4)}


def _check_lengths(path, d: dict) -> None:
    """Every per-frame array must be numeric, finite, of the right shape and hold the same number of frames."""
    counts = {}
    for key, tail in _PER_FRAME.items():
        if key not in d:
            continue
        a = d[key]
        ok_shape = a.ndim == 2 if tail is None else a.shape[1:] == tail
        if not np.issubdtype(a.dtype, np.number) or a.ndim < 1 or not ok_shape:
            want = "(T, N)" if tail is None else f"(T, {', '.join(map(str, tail))})"
            raise UserError(f"'{path}' has '{key}' of shape {a.shape}; a motion file needs {want}.")
        if not np.isfinite(a).all():
            raise UserError(f"'{path}' has non-finite values in '{key}'.")
        counts[key] = a.shape[0]
    if len(set(counts.values())) > 1:
        listing = ", ".join(f"{k} {n}" for k, n in counts.items())
        raise UserError(f"'{path}' is inconsistent: its arrays hold different numbers of frames ({listing}).")
