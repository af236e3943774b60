"""Reading GVHMR's ``hmr4d_results.pt`` with ``torch.load(weights_only=True)`` (tensors and containers only).

``smpl_params_global`` and ``smpl_params_incam``: dicts of ``global_orient`` (F,3), ``body_pose`` (F,63),
``betas`` (F,10), ``transl`` (F,3) of an SMPL-X body, the first in a gravity-aligned y-up world, the second in the
camera; ``K_fullimg`` (F,3,3) the intrinsics it assumed. GVHMR reports every frame; frames with non-finite values
count as gaps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch

from zerohsi.errors import UserError
from zerohsi.io import load_tensors
from zerohsi.poseinit.adapter import SmplFamilyAdapter, ToolResult
from zerohsi.poseinit.retarget import SmplTrack, default_intrinsics
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video
from zerohsi_gvhmr.config import GvhmrConfig

_PARAMS = ("global_orient", "body_pose", "betas", "transl")


def _array(x) -> np.ndarray:
    return (x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64))


class GvhmrInitializer(SmplFamilyAdapter):
    name = "gvhmr"
    model_type = "smplx"
    output_pattern = "hmr4d_results.pt"

    def __init__(self, cfg: GvhmrConfig) -> None:
        if cfg.trajectory not in ("world", "camera"):
            raise UserError(f"gvhmr trajectory must be 'world' or 'camera', got {cfg.trajectory!r}.")
        super().__init__(cfg)
        self.use_world = cfg.trajectory == "world"

    def read(self, path: Path, video: Video, masks: Optional[Masks]) -> ToolResult:
        data = load_tensors(path, "GVHMR result file", "re-run GVHMR")
        try:
            glob = {k: _array(data["smpl_params_global"][k]) for k in _PARAMS}
            incam = {k: _array(data["smpl_params_incam"][k]) for k in _PARAMS}
        except (KeyError, TypeError) as exc:
            raise UserError(f"{path} lacks GVHMR's {exc} results; point output at GVHMR's hmr4d_results.pt.") from None
        F = len(incam["global_orient"])
        if any(len(v) != F for v in (*glob.values(), *incam.values())) or incam["body_pose"].shape[-1] != 63:
            raise UserError(f"{path} has inconsistent GVHMR shapes; it is corrupt, so re-run GVHMR.")
        K = _array(data["K_fullimg"]) if "K_fullimg" in data else default_intrinsics(video.width, video.height)
        K = np.broadcast_to(K.reshape(-1, 3, 3), (F, 3, 3)) if K.reshape(-1, 3, 3).shape[0] in (1, F) else None
        if K is None:
            raise UserError(f"{path} has K_fullimg for a different number of frames than its poses; re-run GVHMR.")
        ids = np.arange(F)
        cam = SmplTrack(ids, incam["global_orient"], incam["body_pose"], incam["betas"], incam["transl"], "camera",
                        np.array(K))
        world = SmplTrack(ids, glob["global_orient"], glob["body_pose"], glob["betas"], glob["transl"], "world_yup")
        return ToolResult(camera=cam, world=world)
