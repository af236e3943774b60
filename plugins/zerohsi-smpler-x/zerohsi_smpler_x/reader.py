"""Reading SMPLer-X's demo output: per frame and person ``smplx/<frame>_<person>.npz`` + ``meta/<same>.json``.

Each npz holds SMPL-X parameters in a virtual camera set up for that person's crop; the json gives that camera's
focal length and principal point in full-image pixels (and the person's box). There is no world trajectory: every
frame goes to the world through the tracked camera.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from zerohsi.errors import UserError
from zerohsi.io import load_npz
from zerohsi.poseinit.adapter import SmplFamilyAdapter, ToolResult
from zerohsi.poseinit.retarget import SmplTrack
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video
from zerohsi_smpler_x.config import SmplerXConfig

_NAME = re.compile(r"^(\d+)_(\d+)$")
_EXTRA = ("jaw_pose", "leye_pose", "reye_pose", "left_hand_pose", "right_hand_pose")


def _box_score(box: Optional[list], mask: Optional[np.ndarray]) -> float:
    """How much of the human mask a person's box (x, y, w, h) covers; its area when there is no mask."""
    if box is None or len(box) < 4:
        return 0.0
    x, y, w, h = (float(v) for v in box[:4])
    if mask is None:
        return w * h
    H, W = mask.shape
    x0, y0 = int(max(0, np.floor(x))), int(max(0, np.floor(y)))
    x1, y1 = int(min(W, np.ceil(x + w))), int(min(H, np.ceil(y + h)))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    inside = float(mask[y0:y1, x0:x1].sum())
    return inside / max(1.0, float(mask.sum())) + inside / max(1.0, (x1 - x0) * (y1 - y0))


class SmplerXInitializer(SmplFamilyAdapter):
    name = "smpler_x"
    model_type = "smplx"
    output_pattern = "smplx"

    def __init__(self, cfg: SmplerXConfig) -> None:
        super().__init__(cfg)
        self.cfg: SmplerXConfig = cfg

    def locate(self, video: Video, workdir: Path) -> Path:
        """The ``smplx`` folder of SMPLer-X's output (``output`` may name it or the folder holding it)."""
        if self.cfg.output:
            path = Path(self.cfg.output).expanduser()
            if path.is_dir() and path.name == "smplx":
                return path
            if (path / "smplx").is_dir():
                return path / "smplx"
        return super().locate(video, workdir)

    def read(self, path: Path, video: Video, masks: Optional[Masks]) -> ToolResult:
        """path: the ``smplx`` folder (its sibling ``meta`` holds the json files)."""
        folder = path if path.is_dir() else path.parent
        meta_dir = folder.parent / "meta"
        people: dict[int, list[tuple[Path, dict]]] = {}
        for f in sorted(folder.glob("*.npz")):
            m = _NAME.match(f.stem)
            if not m:
                continue
            meta_file = meta_dir / f"{f.stem}.json"
            if not meta_file.is_file():
                raise UserError(f"{meta_file} is missing; SMPLer-X writes one meta json per npz, so point output at "
                                "the folder holding both smplx/ and meta/.")
            try:
                meta = json.loads(meta_file.read_text())
                focal, princpt = meta["focal"], meta["princpt"]
                float(focal[0]), float(princpt[1])
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise UserError(f"{meta_file} is not a SMPLer-X meta json ({type(exc).__name__}: {exc}); re-run "
                                "SMPLer-X or remove the file.") from None
            frame = int(m.group(1)) - self.cfg.first_frame_number
            people.setdefault(frame, []).append((f, meta))
        if not people:
            raise UserError(f"No SMPLer-X results (<frame>_<person>.npz) in {folder}; point output at SMPLer-X's "
                            "output folder.")
        T = len(video)
        rows = []
        for frame in sorted(people):
            if not 0 <= frame < T:
                continue
            mask = masks.human[frame] if masks is not None and frame < len(masks) else None
            f, meta = max(people[frame], key=lambda fm: _box_score(fm[1].get("bbox"), mask))
            rows.append((frame, self._read_npz(f), meta))
        if not rows:
            raise UserError(f"The SMPLer-X results in {folder} number no frame of this {T}-frame clip; check "
                            "first_frame_number.")
        K = np.stack([np.array([[float(m["focal"][0]), 0, float(m["princpt"][0])],
                                [0, float(m["focal"][1]), float(m["princpt"][1])], [0, 0, 1]]) for _, _, m in rows])
        p = [r[1] for r in rows]
        track = SmplTrack(
            frame_ids=np.array([r[0] for r in rows]),
            global_orient=np.stack([x["global_orient"] for x in p]), body_pose=np.stack([x["body_pose"] for x in p]),
            betas=np.stack([x["betas"] for x in p]), transl=np.stack([x["transl"] for x in p]), frame="camera", K=K,
            extra_pose=np.stack([x["extra"] for x in p]))
        return ToolResult(camera=track)

    @staticmethod
    def _read_npz(path: Path) -> dict[str, np.ndarray]:
        try:
            data = load_npz(path)
            out = {k: np.asarray(data[k], dtype=np.float64).reshape(-1)
                   for k in ("global_orient", "body_pose", "betas", "transl")}
            extra = [np.asarray(data[k], dtype=np.float64).reshape(-1, 3) if k in data else
                     np.zeros((15 if "hand" in k else 1, 3)) for k in _EXTRA]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise UserError(f"{path} is not a readable SMPLer-X result ({type(exc).__name__}: {exc}); re-run "
                            "SMPLer-X or remove the file.") from None
        if out["global_orient"].size != 3 or out["body_pose"].size != 63 or out["transl"].size != 3:
            raise UserError(f"{path} has unexpected SMPL-X shapes (global_orient {out['global_orient'].size}, "
                            f"body_pose {out['body_pose'].size}); it was not written by SMPLer-X.")
        out["extra"] = np.concatenate(extra)
        return out
