"""Read back what W&B wrote offline: the records of a ``run-*.wandb`` file (W&B's LevelDB-style log of protobuf
records), so tests check the config, history and summary a W&B run would upload without sending anything."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

BLOCK = 32768
HEADER = 7  # ":W&B", magic 0xBEE1, version byte
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> list[Any]:
    """Every protobuf Record of one .wandb file, in order."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", "not a W&B offline log"
    out, pos, chunks = [], HEADER, b""
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:  # block trailer padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        payload = data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (FULL, FIRST):
            chunks = payload
        elif kind in (MIDDLE, LAST):
            chunks += payload
        else:
            break
        if kind in (FULL, LAST):
            rec = pb.Record()
            rec.ParseFromString(chunks)
            out.append(rec)
    return out


def offline_run(run_dir: Path) -> dict[str, Any]:
    """name, group, project, job_type, config (key -> value), history keys, summary (key -> value), media files.

    W&B's service process writes the file after ``finish()`` returns; ``wandb.teardown()`` waits for it.
    """
    import wandb

    wandb.teardown()
    (wandb_file,) = run_dir.glob("*.wandb")
    info: dict[str, Any] = {"config": {}, "history": set(), "summary": {}}
    for rec in records(wandb_file):
        kind = rec.WhichOneof("record_type")
        if kind == "run":
            info.update(name=rec.run.display_name, group=rec.run.run_group, project=rec.run.project,
                        job_type=rec.run.job_type)
            info["config"].update({u.key: json.loads(u.value_json) for u in rec.run.config.update})
        elif kind == "config":
            info["config"].update({u.key: json.loads(u.value_json) for u in rec.config.update})
        elif kind == "history":
            info["history"].update(i.key or "/".join(i.nested_key) for i in rec.history.item)
        elif kind == "summary":
            info["summary"].update({u.key or "/".join(u.nested_key): json.loads(u.value_json)
                                    for u in rec.summary.update})
    info["config"] = {k: v.get("value", v) if isinstance(v, dict) else v for k, v in info["config"].items()}
    media = run_dir / "files" / "media"
    info["media"] = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.is_dir() else []
    return info
