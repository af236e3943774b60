"""Running an external estimator on the clip through a command the user configured.

The command is a template such as ``python demo.py --video {video} --output_pth {output}``: it is split like a shell
would (no shell runs it), ``{video}`` becomes an mp4 of the clip and ``{output}`` a fresh folder the tool writes
into; the adapter then reads its result from that folder.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Optional

from zerohsi.errors import UserError
from zerohsi.video.video import Video


def run_tool(command: str, video: Video, workdir: str | os.PathLike, *, name: str, cwd: Optional[str] = None,
             timeout_s: Optional[float] = None) -> Path:
    """Run ``command`` on ``video``; returns the output folder. A failing tool is a UserError naming its exit code."""
    from zerohsi.video.io import write_mp4

    workdir = Path(workdir)
    output = workdir / f"{name}_output"
    output.mkdir(parents=True, exist_ok=True)
    video_path = write_mp4(workdir / f"{name}_input.mp4", video.frames, video.fps)
    try:
        argv = [part.format(video=str(video_path), output=str(output)) for part in shlex.split(command)]
    except (ValueError, KeyError, IndexError) as exc:
        raise UserError(f"The {name} command template {command!r} is invalid ({exc}); use {{video}} and "
                        "{output} as the only placeholders.") from None
    if not argv:
        raise UserError(f"The {name} command is empty; set it or point the adapter at the tool's output instead.")
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except FileNotFoundError:
        raise UserError(f"The {name} command {argv[0]!r} was not found; check the adapter's command.") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"The {name} command ran longer than {timeout_s} s; raise its timeout or run it by hand "
                        "and point the adapter at its output.") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or [""]
        raise UserError(f"The {name} command exited with code {proc.returncode} ({tail[0][:200]}); run it by hand "
                        "to see why.")
    return output


def find_output(root: str | os.PathLike, pattern: str, *, name: str) -> Path:
    """The file ``root`` names, or the newest file matching ``pattern`` below the folder ``root``."""
    root = Path(root).expanduser()
    if root.is_file():
        return root
    hits = sorted(root.rglob(pattern), key=lambda p: p.stat().st_mtime) if root.is_dir() else []
    if not hits:
        raise UserError(f"No {pattern} found at {root}; point the {name} adapter's output at the tool's result or "
                        "set its command.")
    return hits[-1]
