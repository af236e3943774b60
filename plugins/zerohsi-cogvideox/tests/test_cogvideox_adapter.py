"""The cogvideox adapter through its real loading path, on a tiny random-weight CogVideoX built offline."""

import json

import numpy as np
import pytest

from zerohsi.errors import UserError
from zerohsi.plugins import get_host
from zerohsi.video.base import VideoRequest
from zerohsi.video.cache import cached_generate

H, W = 32, 48  # generation size: the transformer's learned positions need sample_height/width = H/8, W/8


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel, T5Tokenizer

    torch.manual_seed(0)
    words = ["<pad>", "</s>", "<unk>"] + [chr(c) for c in range(97, 123)]
    words += ["\u2581" + w for w in "a person walks sits on the to chair picks up box".split()]
    tokenizer = T5Tokenizer(vocab=[(w, 0.0) for w in words], extra_ids=0)
    text_encoder = T5EncoderModel(T5Config(vocab_size=len(words), d_model=32, d_kv=8, d_ff=37, num_layers=1,
                                           num_heads=4, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0))
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4, time_embed_dim=2,
        text_embed_dim=32, num_layers=1, sample_width=W // 8, sample_height=H // 8, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=16, use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=4,
        layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)
    pipe = CogVideoXImageToVideoPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae,
                                         transformer=transformer, scheduler=CogVideoXDDIMScheduler())
    folder = tmp_path_factory.mktemp("cogvideox") / "tiny-cogvideox-i2v"
    pipe.save_pretrained(folder)
    return folder


OPTIONS = {"steps": 2, "num_frames": 9, "fps": 8.0, "max_sequence_length": 16, "vae_tiling": False}


@pytest.fixture(scope="session")
def generator(tiny_weights):
    return get_host().build("video_generator", "cogvideox", {"weights": str(tiny_weights), **OPTIONS})


def _request(tmp_path, seed=0):
    rng = np.random.default_rng(1)
    first = rng.random((24, 36, 3)).astype(np.float32)  # I0 at another size than the model's
    return VideoRequest(first_frame=first, prompt="a person walks to the chair", seed=seed, num_frames=3, fps=4.0,
                        workdir=tmp_path / "w")


def test_generates_seeded_clip_at_first_frame_size(generator, tmp_path):
    a = generator.generate(_request(tmp_path, seed=3))
    b = generator.generate(_request(tmp_path, seed=3))
    c = generator.generate(_request(tmp_path, seed=4))
    assert a.frames.shape == (9, 24, 36, 3) and a.fps == 8.0
    assert a.provenance["native_size"] == [W, H] and a.provenance["generator"] == "cogvideox"
    assert np.array_equal(a.frames, b.frames)  # same seed, same video
    assert not np.array_equal(a.frames, c.frames)
    assert a.frames.std() > 1.0  # random weights still decode to a non-constant clip


def test_through_the_cache(generator, tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROHSI_CACHE_DIR", str(tmp_path / "cache"))
    video, entry = cached_generate(generator, _request(tmp_path), name="cogvideox")
    assert len(video) == 3 and video.fps == 4.0  # 9 frames at 8 fps -> 3 at 4 fps (frames 0, 2, 4)
    meta = json.loads((entry / "cache_meta.json").read_text())
    assert meta["native_frames"] == 9 and meta["key"]["generator_key"]["steps"] == 2


def test_generic_diffusers_i2v_and_errors(tiny_weights, tmp_path):
    gen = get_host().build("video_generator", "diffusers_i2v",
                           {"pipeline": "cogvideox", "weights": str(tiny_weights), **OPTIONS, "steps": 1})
    assert gen.generate(_request(tmp_path)).frames.shape == (9, 24, 36, 3)
    with pytest.raises(UserError, match="available: cogvideox"):
        get_host().build("video_generator", "diffusers_i2v", {"pipeline": "sora", "weights": str(tiny_weights)})
    with pytest.raises(UserError, match="model_index.json"):
        get_host().build("video_generator", "cogvideox", {"weights": str(tmp_path)})
    with pytest.raises(UserError, match="holds a CogVideoXImageToVideoPipeline, not a"):
        get_host().build("video_generator", "diffusers_i2v",
                         {"pipeline": "svd", "weights": str(tiny_weights)}).pipeline()
    with pytest.raises(UserError, match="does not accept"):
        bad = get_host().build("video_generator", "cogvideox", {"weights": str(tiny_weights), **OPTIONS,
                                                                "call_options": {"motion_bucket_id": 3}})
        bad.generate(_request(tmp_path))
