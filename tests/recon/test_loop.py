"""The per-frame loop: optimisation, callbacks, checkpoints and resume giving the same result."""

import pytest
import torch

from zerohsi.recon.callbacks import FrameHook
from zerohsi.recon.loop import FrameLoop


class NoisyScalarFit:
    """Per frame, fit x_t to a target from x_{t-1}, with random noise injected (exercises reseeding on resume)."""

    name = "toy"

    def __init__(self, targets):
        self.targets = targets
        self.xs = [torch.tensor(0.0)]

    def num_frames(self):
        return len(self.targets)

    def num_iters(self, t):
        return 0 if t == 0 else 25

    def start_frame(self, t):
        if t == 0:
            return []
        self.p = self.xs[-1].clone().requires_grad_(True)
        return [torch.optim.Adam([self.p], lr=0.1)]

    def active_optimizers(self, t, it, optimizers):
        return optimizers

    def closure(self, t, it):
        noise = 0.01 * torch.randn(())
        loss = (self.p - self.targets[t] + noise) ** 2
        return loss, {"noise": float(noise)}

    def end_frame(self, t):
        if t:
            self.xs.append(self.p.detach().clone())

    def state_dict(self):
        return {"xs": torch.stack(self.xs)}

    def load_state_dict(self, state):
        self.xs = list(state["xs"].unbind(0))


class Interrupt(Exception):
    pass


def test_loop_optimises_and_logs_losses():
    problem = NoisyScalarFit([0.0, 1.0, 1.5, 2.0])
    state = FrameLoop(seed=0).run(problem)
    assert len(state.losses) == 4 and len(state.losses[2]) == 25
    assert abs(float(problem.xs[-1]) - 2.0) < 0.3
    assert state.losses[1][-1] < state.losses[1][0]


def test_resume_after_interruption_gives_identical_result(tmp_path):
    targets = [0.0, 1.0, -1.0, 0.5, 2.0]
    reference = NoisyScalarFit(targets)
    FrameLoop(seed=3, checkpoint_dir=tmp_path / "ref").run(reference)

    def stop_after_2(problem, state):
        if state.frame == 2:
            raise Interrupt

    first = NoisyScalarFit(targets)
    with pytest.raises(Interrupt):
        FrameLoop(seed=3, checkpoint_dir=tmp_path / "run", callbacks=[FrameHook(stop_after_2)]).run(first)
    resumed = NoisyScalarFit(targets)
    state = FrameLoop(seed=3, checkpoint_dir=tmp_path / "run").run(resumed)
    assert torch.equal(torch.stack(resumed.xs), torch.stack(reference.xs))
    assert len(state.losses) == len(targets)


def test_checkpoint_of_other_inputs_is_redone(tmp_path):
    """A checkpoint keyed by other inputs (the clip changed between a kill and --resume) is not mixed in."""
    targets = [0.0, 1.0, -1.0]

    def stop_after_1(problem, state):
        if state.frame == 1:
            raise Interrupt

    with pytest.raises(Interrupt):
        FrameLoop(seed=3, checkpoint_dir=tmp_path, callbacks=[FrameHook(stop_after_1)]).run(
            NoisyScalarFit([5.0, 5.0, 5.0]), key="old-clip")
    fresh = NoisyScalarFit(targets)
    FrameLoop(seed=3, checkpoint_dir=tmp_path / "ref").run(fresh, key="new-clip")
    resumed = NoisyScalarFit(targets)
    FrameLoop(seed=3, checkpoint_dir=tmp_path).run(resumed, key="new-clip")
    assert torch.equal(torch.stack(resumed.xs), torch.stack(fresh.xs))
    assert (tmp_path / "toy.stale").exists()


def test_poisoned_checkpoint_does_not_run_code(tmp_path, payload, monkeypatch):
    from zerohsi.errors import UserError

    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # must not turn the explicit weights_only off
    payload.torch(tmp_path / "toy.ckpt", {"next_frame": 1})
    with pytest.raises(UserError, match="never unpickles") as err:
        FrameLoop(seed=3, checkpoint_dir=tmp_path).run(NoisyScalarFit([0.0, 1.0]))
    assert not payload.ran() and "weights_only" not in str(err.value)
