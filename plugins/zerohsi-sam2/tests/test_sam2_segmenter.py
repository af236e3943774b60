import numpy as np
import pytest
import torch

from zerohsi.errors import UserError
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video

pytest.importorskip("sam2")

from zerohsi_sam2.config import Sam2Config  # noqa: E402
from zerohsi_sam2.segmenter import Sam2Segmenter, compose_model_config  # noqa: E402

TINY = "configs/sam2.1/sam2.1_hiera_t.yaml"


def _clip(T=3, H=48, W=64):
    rng = np.random.default_rng(0)
    frames = (rng.random((T, H, W, 3)) * 60 + 100).astype(np.uint8)
    human = np.zeros((1, H, W), bool)
    human[0, 10:40, 12:24] = True
    obj = np.zeros((1, H, W), bool)
    obj[0, 25:38, 30:44] = True
    for t in range(T):
        frames[t, 10:40, 12 + t:24 + t] = (30, 60, 200)
        frames[t, 25:38, 30 + t:44 + t] = (220, 120, 20)
    return Video(frames, 10.0), Masks(human, obj)


def test_sam2_tiny_random_model_end_to_end():
    """The smallest SAM2 with random weights at a small input size: the real code path, meaningless masks."""
    video, first = _clip(T=2)
    seg = Sam2Segmenter(Sam2Config(config=TINY, random_weights=True, device="cpu", image_size=128,
                                   prompt="box+points"))
    masks = seg.segment(video, first)
    assert masks.human.shape == (2, 48, 64) and masks.human.dtype == bool
    assert masks.object is not None and masks.object.shape == (2, 48, 64)
    assert not (masks.human & masks.object).any()  # one owner per pixel
    # static scene: no object track (the built predictor is reused)
    one = Video(video.frames[:1], video.fps)
    masks = seg.segment(one, Masks(first.human))
    assert masks.object is None and masks.human.shape == (1, 48, 64)


def test_sam2_missing_checkpoint_is_one_sentence(tmp_path):
    seg = Sam2Segmenter(Sam2Config(config=TINY, checkpoint=str(tmp_path / "sam2.1_hiera_tiny.pt"), device="cpu"))
    video, first = _clip(T=1)
    with pytest.raises(UserError, match="does not exist") as exc:
        seg.segment(video, first)
    assert "\n" not in str(exc.value)
    with pytest.raises(UserError, match="checkpoint"):
        Sam2Segmenter(Sam2Config(config=TINY, device="cpu")).segment(video, first)
    with pytest.raises(UserError, match="prompt"):
        Sam2Segmenter(Sam2Config(prompt="scribble"))


def test_sam2_config_targets_are_checked(tmp_path):
    bad = tmp_path / "evil.yaml"
    bad.write_text("model:\n  _target_: os.system\n  command: echo hi\n")
    with pytest.raises(UserError, match="not a SAM2 class"):
        compose_model_config(str(bad), [])
    with pytest.raises(UserError, match="could not be loaded"):
        compose_model_config("configs/nope.yaml", [])
    assert compose_model_config(TINY, []).model.image_size == 1024


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs CUDA")
def test_sam2_tiny_random_model_on_cuda():
    video, first = _clip(T=3)
    seg = Sam2Segmenter(Sam2Config(config=TINY, random_weights=True, device="cuda", image_size=512))
    masks = seg.segment(video, first)
    assert masks.human.shape == (3, 48, 64) and masks.object.shape == (3, 48, 64)


@pytest.mark.parametrize("target", ["sam2.build_sam.torch.load", "sam2.build_sam.os.system",
                                    "torch.nn.modules.module.torch.hub.os.system",
                                    "sam2.modeling.sam2_base.torch.load"])
def test_sam2_config_dotted_paths_cannot_reach_other_callables(tmp_path, payload, target):
    """Targets that start like SAM2's (or torch's) but resolve to loaders or os.system are refused before hydra
    imports anything; the poisoned checkpoint they point at is never opened."""
    evil = payload.torch(tmp_path / "evil.pt")
    bad = tmp_path / "evil.yaml"
    call = f"_target_: {target}\n    f: {evil}\n    weights_only: false\n    command: touch {payload.marker}\n"
    from zerohsi_sam2.segmenter import build_video_predictor

    for text in (f"model:\n  {call.replace(chr(10) + '  ', chr(10))}", f"model:\n  image_encoder:\n    {call}"):
        bad.write_text(text)
        with pytest.raises(UserError, match="not a SAM2 class"):
            compose_model_config(str(bad), [])
        with pytest.raises(UserError):
            build_video_predictor(Sam2Config(config=str(bad), random_weights=True), torch.device("cpu"))
    assert not payload.ran()
