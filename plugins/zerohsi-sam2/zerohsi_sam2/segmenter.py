"""The ``sam2`` segmenter: SAM2's video predictor tracks the human and the object through the clip.

Frame 0 is prompted from the rendered, occlusion-aware masks of avatar and object (farthest-point-sampled points,
or boxes), both entities are tracked as two objects of one inference state, and where both claim a pixel the higher
logit wins.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import torch

from zerohsi.errors import UserError, first_line
from zerohsi.io import load_tensors
from zerohsi.segment.masks import Masks, resize_mask
from zerohsi.segment.prompts import entity_prompts
from zerohsi.video.video import Video
from zerohsi_sam2.config import Sam2Config, checkpoint_file

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup

_ENTITIES = ("human", "object")
_PROMPTS = ("points", "box", "box+points")


def _device(name: str) -> torch.device:
    from zerohsi.devices import resolve_device

    return resolve_device(name, "segmenter.options.device")


#: the classes a SAM2 model config may instantiate (those of the configs shipped with sam2 1.x), matched exactly
SAM2_MODEL_CLASSES = frozenset({
    "sam2.sam2_video_predictor.SAM2VideoPredictor",
    "sam2.sam2_video_predictor.SAM2VideoPredictorVOS",
    "sam2.modeling.sam2_base.SAM2Base",
    "sam2.modeling.backbones.hieradet.Hiera",
    "sam2.modeling.backbones.image_encoder.FpnNeck",
    "sam2.modeling.backbones.image_encoder.ImageEncoder",
    "sam2.modeling.memory_attention.MemoryAttention",
    "sam2.modeling.memory_attention.MemoryAttentionLayer",
    "sam2.modeling.memory_encoder.CXBlock",
    "sam2.modeling.memory_encoder.Fuser",
    "sam2.modeling.memory_encoder.MaskDownSampler",
    "sam2.modeling.memory_encoder.MemoryEncoder",
    "sam2.modeling.position_encoding.PositionEmbeddingSine",
    "sam2.modeling.sam.transformer.RoPEAttention",
})


def _targets(node: Any) -> list[str]:
    """Every ``_target_`` in a composed config (the classes hydra would import and call)."""
    from omegaconf import DictConfig, ListConfig

    found: list[str] = []
    if isinstance(node, DictConfig):
        for key in node.keys():
            value = node._get_node(key)
            if key == "_target_":
                found.append(str(node[key]))
            elif isinstance(value, (DictConfig, ListConfig)):
                found.extend(_targets(value))
    elif isinstance(node, ListConfig):
        for item in node:
            found.extend(_targets(item))
    return found


def compose_model_config(config: str, overrides: Sequence[str]):
    """The composed SAM2 config: a name inside the sam2 package, or a YAML file (composed from its folder)."""
    import sam2  # noqa: F401 - initialises hydra with sam2's config module
    from hydra import compose, initialize_config_dir, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    path = Path(config).expanduser()
    try:
        if path.suffix in (".yaml", ".yml") and path.is_file():
            GlobalHydra.instance().clear()
            try:
                with initialize_config_dir(config_dir=str(path.parent.resolve()), version_base="1.2"):
                    cfg = compose(config_name=path.stem, overrides=list(overrides))
            finally:
                GlobalHydra.instance().clear()
                initialize_config_module("sam2", version_base="1.2")
        else:
            cfg = compose(config_name=config, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        raise UserError(f"SAM2 config {config!r} could not be loaded ({first_line(exc)}); use a config shipped "
                        "with sam2 (e.g. configs/sam2.1/sam2.1_hiera_l.yaml) or a path to a SAM2 YAML file.") from None
    # a config names the callables hydra imports and calls, and hydra resolves any dotted attribute path (so a
    # prefix check would let `sam2.build_sam.torch.load` through): only SAM2's own model classes, named exactly
    model = cfg.get("model") if hasattr(cfg, "get") else None
    bad = [t for t in _targets(cfg) if t not in SAM2_MODEL_CLASSES]
    if model is None:
        raise UserError(f"SAM2 config {config!r} has no 'model' section; use a config shipped with sam2 (e.g. "
                        "configs/sam2.1/sam2.1_hiera_l.yaml).")
    if bad:
        raise UserError(f"SAM2 config {config!r} asks to build {bad[0]!r}, which is not a SAM2 class; use an "
                        "unmodified SAM2 config.")
    return cfg


def build_video_predictor(cfg: Sam2Config, device: torch.device):
    """SAM2VideoPredictor from the user's config and checkpoint (or random weights when asked)."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    ckpt = checkpoint_file(cfg)
    overrides = [
        "++model._target_=sam2.sam2_video_predictor.SAM2VideoPredictor",
        # as SAM2's own builder: fall back to multi-mask output when a single mask is unstable, binarise clicked
        # masks for the memory encoder, fill tiny holes
        "++model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability=true",
        "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta=0.05",
        "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_thresh=0.98",
        "++model.binarize_mask_from_pts_for_mem_enc=true",
        "++model.fill_hole_area=8",
    ]
    if cfg.image_size > 0:
        overrides.append(f"++model.image_size={int(cfg.image_size)}")
    model_cfg = compose_model_config(cfg.config, overrides)
    OmegaConf.resolve(model_cfg)
    from hydra.errors import HydraException

    try:
        model = instantiate(model_cfg.model, _recursive_=True)
    except (HydraException, TypeError, ValueError) as exc:
        raise UserError(f"SAM2 config {cfg.config!r} could not be built ({first_line(exc, 160)}); use an unmodified "
                        "SAM2 config.") from None
    if ckpt is not None:
        state = load_tensors(ckpt, "SAM2 checkpoint", "download the checkpoint again from the SAM2 release page")
        try:
            model.load_state_dict(state["model"] if "model" in state else state)
        except (RuntimeError, KeyError, TypeError, OSError, EOFError) as exc:
            raise UserError(f"SAM2 checkpoint {ckpt} does not fit config {cfg.config!r} ({first_line(exc, 160)}); "
                            "use the checkpoint that matches the config.") from None
    return model.to(device).eval()


def _write_jpeg_folder(video: Video, folder: Path) -> None:
    """SAM2's video loader reads a folder of frames named <index>.jpg."""
    from PIL import Image

    for t, frame in enumerate(video.frames):
        Image.fromarray(frame).save(folder / f"{t:05d}.jpg", quality=95)


class Sam2Segmenter:
    def __init__(self, cfg: Sam2Config) -> None:
        if cfg.prompt not in _PROMPTS:
            raise UserError(f"sam2 prompt must be one of {', '.join(_PROMPTS)}, got {cfg.prompt!r}.")
        self.cfg = cfg
        self.device = _device(cfg.device)
        self._predictor = None

    @property
    def predictor(self):
        if self._predictor is None:
            self._predictor = build_video_predictor(self.cfg, self.device)
        return self._predictor

    def segment(self, video: Video, first_masks: Masks, setup: Optional[Setup] = None,
                cameras: Optional[Sequence[Camera]] = None) -> Masks:
        T, H, W = len(video), video.height, video.width
        dynamic = first_masks.object is not None
        first = Masks(resize_mask(first_masks.human[0], H, W)[None],
                      resize_mask(first_masks.object[0], H, W)[None] if dynamic else None)
        prompts = entity_prompts(first, num_positive=self.cfg.num_points, num_negative=self.cfg.num_negative,
                                 seed=getattr(setup, "seed", 0) or 0)
        if prompts["human"].empty:
            raise UserError("The rendered first frame shows no human to prompt SAM2 with; check the initial state "
                            "and camera.")
        logits = {name: np.full((T, H, W), -np.inf, dtype=np.float32) for name in _ENTITIES}
        predictor = self.predictor
        autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda"
                    else contextlib.nullcontext())
        with tempfile.TemporaryDirectory(prefix="zerohsi-sam2-") as tmp, torch.inference_mode(), autocast:
            _write_jpeg_folder(video, Path(tmp))
            state = predictor.init_state(video_path=tmp, offload_video_to_cpu=self.cfg.offload_video_to_cpu)
            ids = {}
            for obj_id, name in enumerate(_ENTITIES, start=1):
                p = prompts.get(name)
                if p is None or p.empty:
                    continue
                kw: dict[str, Any] = {}
                if self.cfg.prompt in ("points", "box+points"):
                    kw.update(points=p.points, labels=p.labels)
                if self.cfg.prompt in ("box", "box+points"):
                    kw.update(box=p.box.astype(np.float32))
                predictor.add_new_points_or_box(state, frame_idx=0, obj_id=obj_id, **kw)
                ids[obj_id] = name
            for frame_idx, obj_ids, mask_logits in predictor.propagate_in_video(state):
                for k, oid in enumerate(obj_ids):
                    if oid in ids:
                        logits[ids[oid]][frame_idx] = mask_logits[k, 0].float().cpu().numpy()
            predictor.reset_state(state)
        human = logits["human"] > 0
        obj = logits["object"] > 0
        both = human & obj
        human &= ~(both & (logits["object"] > logits["human"]))
        obj &= ~(both & human)
        # random weights leave plausible-looking but meaningless masks: the provenance keeps such runs out of tables
        return Masks(human=human, object=obj if dynamic else None,
                     provenance={"segmenter": "sam2", "random_weights": bool(self.cfg.random_weights),
                                 "checkpoint": None if self.cfg.random_weights else Path(self.cfg.checkpoint).name})
