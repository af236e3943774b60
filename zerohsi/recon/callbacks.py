"""Callbacks of the per-frame loop: progress bar, preview renders, interruption for tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RichProgress:
    """One bar over frames × iterations with the current loss and an ETA."""

    def __init__(self, description: str = "", enabled: bool = True) -> None:
        self.description = description
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task = None

    def on_sequence_start(self, loop, problem, state, start_frame: int) -> None:
        if not self.enabled:
            return
        total = sum(problem.num_iters(t) for t in range(problem.num_frames()))
        done = sum(problem.num_iters(t) for t in range(start_frame))
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("frame {task.fields[frame]} loss {task.fields[loss]:.4f}"),
                                 TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
        self.progress.start()
        self.task = self.progress.add_task(self.description or problem.name, total=total, completed=done,
                                           frame=start_frame, loss=0.0)

    def on_step_end(self, loop, problem, state, loss: float, terms: dict) -> None:
        if self.progress is not None:
            self.progress.update(self.task, advance=1, frame=state.frame, loss=loss)

    def on_sequence_end(self, loop, problem, state) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class FrameHook:
    """Calls ``fn(problem, state)`` after every frame (previews, tests that interrupt a run)."""

    def __init__(self, fn: Callable[[Any, Any], None]) -> None:
        self.fn = fn

    def on_frame_end(self, loop, problem, state) -> None:
        self.fn(problem, state)


class PreviewRenderer:
    """Writes a PNG preview of each finished frame (problem.preview(t) -> uint8 (H,W,3)) every ``every`` frames."""

    def __init__(self, out_dir: str | os.PathLike, every: int = 10) -> None:
        self.out_dir = Path(out_dir)
        self.every = max(1, every)

    def on_frame_end(self, loop, problem, state) -> None:
        if state.frame % self.every or not hasattr(problem, "preview"):
            return
        import imageio.v3 as iio

        from zerohsi.io import atomic_path

        with atomic_path(self.out_dir / f"{problem.name}_{state.frame:04d}.png") as tmp:
            iio.imwrite(tmp, problem.preview(state.frame), extension=".png")

