"""Per-run stage bookkeeping: content-hash keys, so a re-run or `--resume` skips finished stages."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zerohsi.io import atomic_write_json


def content_key(*parts: Any) -> str:
    """A stable hash of JSON-able parts (configs, upstream keys, file hashes)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


class StageStore:
    """Records which stage finished with which key in RUN_DIR/stages.json, and how long each took."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / "stages.json"
        self.done: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.timings: dict[str, float] = {}

    #: the stage recorded when every stage of the run has finished
    COMPLETE = "run"

    @classmethod
    def completed(cls, run_dir: Path) -> bool:
        """Whether ``run_dir`` holds a run that finished every stage."""
        path = Path(run_dir) / "stages.json"
        try:
            return cls.COMPLETE in json.loads(path.read_text())
        except (OSError, ValueError):
            return False

    def finished(self, stage: str, key: str, *files: str) -> bool:
        return self.done.get(stage) == key and all((self.run_dir / f).exists() for f in files)

    def mark(self, stage: str, key: str) -> None:
        self.done[stage] = key
        atomic_write_json(self.path, self.done)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - t0
