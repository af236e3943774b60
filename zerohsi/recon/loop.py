"""A small per-frame optimisation loop on Lightning Fabric.

    for frame t:  on_frame_start -> iters of (closure, step, on_step_end) -> on_frame_end -> checkpoint
    on_sequence_end

Camera tracking and human/object fitting are two :class:`FrameProblem`s run by the same :class:`FrameLoop`. Each frame
builds fresh optimisers and reseeds torch from (seed, frame), so a run resumed from the checkpoint after frame t gives
the same result as an uninterrupted one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

log = logging.getLogger("zerohsi")


class FrameProblem(Protocol):
    """One stage's per-frame optimisation."""

    name: str

    def num_frames(self) -> int: ...

    def num_iters(self, t: int) -> int: ...

    def start_frame(self, t: int) -> list[torch.optim.Optimizer]:
        """Initialise frame t's parameters from frame t-1 and return the optimisers to step."""
        ...

    def closure(self, t: int, it: int) -> tuple[torch.Tensor, dict[str, float]]:
        """Loss of the current parameters at iteration ``it`` (optimisers may be chosen by ``active_optimizers``)."""
        ...

    def active_optimizers(self, t: int, it: int,
                          optimizers: list[torch.optim.Optimizer]) -> list[torch.optim.Optimizer]:
        ...

    def end_frame(self, t: int) -> None:
        """Freeze frame t's result."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume after the last finished frame (tensors and plain types only)."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class LoopState:
    stage: str
    frame: int = 0
    iteration: int = 0
    global_step: int = 0
    losses: list[list[float]] = field(default_factory=list)  # per frame, per iteration (total loss)


class FrameLoop:
    """Runs a FrameProblem frame by frame with callbacks, logging and per-frame checkpoints."""

    def __init__(self, *, seed: int, device: str | torch.device = "cpu", callbacks: list[Any] | None = None,
                 loggers: list[Any] | None = None, checkpoint_dir: str | os.PathLike | None = None,
                 log_every: int = 10) -> None:
        from lightning.fabric import Fabric

        device = torch.device(device)
        accelerator = "cuda" if device.type == "cuda" else "cpu"
        self.fabric = Fabric(accelerator=accelerator, devices=1, callbacks=callbacks or [], loggers=loggers or [])
        self.seed = int(seed)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.log_every = max(1, int(log_every))

    def _checkpoint_path(self, problem: FrameProblem) -> Path | None:
        return None if self.checkpoint_dir is None else self.checkpoint_dir / f"{problem.name}.ckpt"

    def resume_point(self, problem: FrameProblem, state: LoopState, key: str = "") -> int:
        """Load the problem's checkpoint if one exists and was made from the same inputs (``key``); return the first
        frame still to do. A checkpoint of other inputs (the clip or the config changed since) is set aside and the
        stage starts over, so old and new work are never mixed."""
        path = self._checkpoint_path(problem)
        if path is None or not path.exists():
            return 0
        from zerohsi.io import load_tensors

        # a checkpoint holds tensors, numbers and containers only: load it as such (never unpickle objects)
        ckpt = load_tensors(path, "checkpoint", f"delete {path} to redo this stage, or start a new run")
        if not isinstance(ckpt, dict) or ckpt.get("key", "") != key:
            log.warning("%s: checkpoint %s was made from other inputs; redoing the stage from frame 0",
                        problem.name, path)
            path.replace(path.with_suffix(".stale"))
            return 0
        problem.load_state_dict(ckpt["problem"])
        state.losses = ckpt["losses"]
        state.global_step = ckpt["global_step"]
        return int(ckpt["next_frame"])

    def _save(self, problem: FrameProblem, state: LoopState, next_frame: int, key: str) -> None:
        path = self._checkpoint_path(problem)
        if path is None:
            return
        from zerohsi.io import atomic_path

        with atomic_path(path, suffix=".ckpt") as tmp:
            self.fabric.save(tmp, {"problem": problem.state_dict(), "losses": state.losses,
                                   "global_step": state.global_step, "next_frame": next_frame, "key": key})

    def run(self, problem: FrameProblem, key: str = "") -> LoopState:
        """Every frame of ``problem``; ``key`` identifies its inputs (see :meth:`resume_point`)."""
        state = LoopState(stage=problem.name)
        start = self.resume_point(problem, state, key)
        T = problem.num_frames()
        self.fabric.call("on_sequence_start", loop=self, problem=problem, state=state, start_frame=start)
        for t in range(start, T):
            state.frame, state.iteration = t, 0
            torch.manual_seed(self.seed * 100_003 + t)
            optimizers = problem.start_frame(t)
            n_iters = problem.num_iters(t)
            self.fabric.call("on_frame_start", loop=self, problem=problem, state=state, num_iters=n_iters)
            frame_losses: list[float] = []
            for it in range(n_iters):
                state.iteration = it
                active = problem.active_optimizers(t, it, optimizers)
                for opt in optimizers:
                    opt.zero_grad(set_to_none=True)
                loss, terms = problem.closure(t, it)
                if loss.requires_grad:
                    self.fabric.backward(loss)
                    for opt in active:
                        opt.step()
                value = float(loss.detach())
                frame_losses.append(value)
                state.global_step += 1
                if it % self.log_every == 0 or it == n_iters - 1:
                    self.fabric.log_dict({f"{problem.name}/loss": value,
                                          **{f"{problem.name}/{k}": v for k, v in terms.items()}},
                                         step=state.global_step)
                self.fabric.call("on_step_end", loop=self, problem=problem, state=state, loss=value, terms=terms)
            problem.end_frame(t)
            state.losses.append(frame_losses)
            self._save(problem, state, t + 1, key)
            self.fabric.call("on_frame_end", loop=self, problem=problem, state=state)
        self.fabric.call("on_sequence_end", loop=self, problem=problem, state=state)
        return state
