"""CLIP score / consistency with a tiny random-weight open_clip model saved to a local file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from zerohsi.errors import UserError
from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.clip import ClipConsistency, ClipScore, load_clip
from zerohsi.metrics.configs import ClipConfig
from zerohsi.video.video import Video

open_clip = pytest.importorskip("open_clip")

TINY = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32", pretrained=None, pretrained_text=False, **TINY)
    path = tmp_path_factory.mktemp("clip") / "tiny_clip.pt"
    torch.save(model.state_dict(), path)
    return path


def _cfg(weights) -> ClipConfig:
    return ClipConfig(model="ViT-B-32", weights=str(weights), architecture=TINY, device="cpu")


def _frames(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 24, 40, 3), dtype=np.uint8)


def test_identical_frames_are_fully_consistent(stick_body, motion_factory, tiny_weights):
    frame = _frames(1, 0)
    video = Video(np.repeat(frame, 4, 0), fps=10)
    out = ClipConsistency(_cfg(tiny_weights)).compute(motion_factory(torch.zeros(4, 3)),
                                                      EvalContext(stick_body, rendered=video))
    assert out["clip_consistency"] == pytest.approx(1.0, abs=1e-5)
    varied = ClipConsistency(_cfg(tiny_weights)).compute(
        motion_factory(torch.zeros(4, 3)), EvalContext(stick_body, rendered=Video(_frames(4, 1), fps=10)))
    assert varied["clip_consistency"] < 1.0 - 1e-4


def test_clip_score_matches_manual_computation(stick_body, motion_factory, tiny_weights):
    frames = _frames(3, 2)
    prompt = "a person sits on the sofa"
    out = ClipScore(_cfg(tiny_weights)).compute(
        motion_factory(torch.zeros(3, 3)), EvalContext(stick_body, prompt=prompt, rendered=Video(frames, fps=10)))
    clip = load_clip(_cfg(tiny_weights))
    with torch.no_grad():
        img = clip.model.encode_image(clip.preprocess(torch.from_numpy(frames)))
        txt = clip.model.encode_text(clip.tokenizer([prompt]))
    img = img / img.norm(dim=-1, keepdim=True)
    txt = txt / txt.norm(dim=-1, keepdim=True)
    assert out["clip_score"] == pytest.approx(100 * float((img @ txt[0]).mean()), abs=1e-3)
    assert set(out) == {"clip_score"}
    # the source video is never a stand-in for missing renders: skipped with the reason
    source_only = EvalContext(stick_body, prompt=prompt, video=Video(frames, fps=10))
    with pytest.raises(MetricSkipped, match="rendered"):
        ClipScore(_cfg(tiny_weights)).compute(motion_factory(torch.zeros(3, 3)), source_only)
    # scoring the source video on purpose gives it its own key
    src = ClipScore(ClipConfig(**{**vars(_cfg(tiny_weights)), "frames": "video"})).compute(
        motion_factory(torch.zeros(3, 3)), source_only)
    assert src["clip_score_source"] == pytest.approx(out["clip_score"], abs=1e-4) and "clip_score" not in src


def test_consistency_of_one_frame_is_skipped_not_perfect(stick_body, motion_factory, tiny_weights):
    with pytest.raises(MetricSkipped, match="two frames"):
        ClipConsistency(_cfg(tiny_weights)).compute(motion_factory(torch.zeros(1, 3)),
                                                    EvalContext(stick_body, rendered=Video(_frames(1, 0), fps=10)))


def test_weights_are_really_loaded(tiny_weights):
    clip = load_clip(_cfg(tiny_weights))
    saved = torch.load(tiny_weights, weights_only=True)
    name = next(k for k in saved if k.endswith("proj") or "proj" in k)
    assert torch.equal(clip.model.state_dict()[name], saved[name])


def test_missing_or_bad_weights_are_one_sentence(tmp_path, monkeypatch):
    monkeypatch.delenv("ZEROHSI_CLIP_WEIGHTS", raising=False)
    with pytest.raises(UserError, match="ZEROHSI_CLIP_WEIGHTS"):
        load_clip(ClipConfig())
    with pytest.raises(UserError, match="does not exist"):
        load_clip(ClipConfig(weights=str(tmp_path / "nope.pt")))
    bad = tmp_path / "bad.pt"
    torch.save({"not": torch.zeros(1)}, bad)
    with pytest.raises(UserError, match="Cannot load CLIP weights"):
        load_clip(ClipConfig(weights=str(bad), architecture=TINY, device="cpu"))
    with pytest.raises(UserError, match="Unknown open_clip model"):
        load_clip(ClipConfig(model="NoSuchNet", weights=str(bad)))
