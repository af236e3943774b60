"""Reading WHAM's ``wham_output.pkl``: a joblib dict per track id of SMPL results.

Per track: ``pose`` (N,72) SMPL axis-angle in the camera frame, ``trans`` (N,3) camera-frame translation,
``pose_world`` (N,72) and ``trans_world`` (N,3) in WHAM's gravity-aligned y-up world, ``betas`` (N,10),
``frame_ids`` (N,) video frames. The file is read through an allow-list unpickler: it cannot run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from zerohsi.errors import UserError
from zerohsi.poseinit.adapter import SmplFamilyAdapter, ToolResult
from zerohsi.poseinit.retarget import SmplTrack, default_intrinsics
from zerohsi.safe_pickle import load_joblib
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video
from zerohsi_wham.config import WhamConfig

_KEYS = ("pose", "trans", "pose_world", "trans_world", "betas", "frame_ids")


class WhamInitializer(SmplFamilyAdapter):
    name = "wham"
    model_type = "smpl"
    output_pattern = "wham_output.pkl"

    def __init__(self, cfg: WhamConfig) -> None:
        if cfg.trajectory not in ("world", "camera"):
            raise UserError(f"wham trajectory must be 'world' or 'camera', got {cfg.trajectory!r}.")
        super().__init__(cfg)
        self.cfg: WhamConfig = cfg
        self.use_world = cfg.trajectory == "world"

    def read(self, path: Path, video: Video, masks: Optional[Masks]) -> ToolResult:
        data = load_joblib(path)
        if not isinstance(data, dict) or not data:
            raise UserError(f"{path} holds no WHAM tracks (expected a dict of track id -> results); re-run WHAM.")
        tid = self.cfg.track_id
        if tid >= 0:
            if tid not in data:
                raise UserError(f"WHAM track {tid} is not in {path} (tracks: {sorted(data)}); set track_id to one "
                                "of them or -1.")
        else:
            tid = max(data, key=lambda k: len(np.asarray(data[k].get("frame_ids", ())))
                      if isinstance(data[k], dict) else -1)
        track = data[tid]
        try:
            arr = {k: np.asarray(track[k], dtype=np.float64) for k in _KEYS}
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{path} track {tid} lacks WHAM's {exc} results; it was not written by WHAM's demo "
                            "with --save_pkl.") from None
        n = len(arr["frame_ids"])
        shapes_ok = arr["pose"].shape == (n, 72) and arr["pose_world"].shape == (n, 72) \
            and arr["trans"].shape == (n, 3) and arr["trans_world"].shape == (n, 3) and arr["betas"].shape[0] == n
        if not shapes_ok:
            raise UserError(f"{path} track {tid} has inconsistent shapes (pose {arr['pose'].shape}, frame_ids "
                            f"{arr['frame_ids'].shape}); it is corrupt, so re-run WHAM.")
        frame_ids = arr["frame_ids"].astype(np.int64)
        if self.cfg.focal_px > 0:
            K = default_intrinsics(video.width, video.height)
            K[0, 0] = K[1, 1] = self.cfg.focal_px
        else:
            K = default_intrinsics(video.width, video.height)
        notes = (f"WHAM track {tid} ({n} frames) of {len(data)} track(s)",)
        cam = SmplTrack(frame_ids, arr["pose"][:, :3], arr["pose"][:, 3:], arr["betas"], arr["trans"], "camera",
                        np.repeat(K[None], n, 0))
        world = SmplTrack(frame_ids, arr["pose_world"][:, :3], arr["pose_world"][:, 3:], arr["betas"],
                          arr["trans_world"], "world_yup")
        return ToolResult(camera=cam, world=world, notes=notes)
