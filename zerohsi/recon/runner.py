"""Runs one configured clip (or a chain of clips) through every stage into a run folder."""

from __future__ import annotations

import functools
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from zerohsi.clip_setup import Setup
from zerohsi.config import RunConfig
from zerohsi.config.schema import ComponentConfig
from zerohsi.io import atomic_savez, atomic_write_json, load_npz
from zerohsi.motion import Motion
from zerohsi.plugins import get_host
from zerohsi.recon.stages import StageStore, content_key
from zerohsi.segment.masks import Masks

log = logging.getLogger("zerohsi")


@dataclass
class RunResult:
    """What a run returns (``zerohsi.run``): its folder, the motion, metrics, timings and the stage artifacts."""

    run_dir: Path
    motion: Motion
    metrics: dict[str, float]
    timings: dict[str, float]
    ground_truth: Optional[Motion] = None
    video: Any = None
    masks: Optional[Masks] = None
    extras: dict[str, Any] = field(default_factory=dict)


GT_MOTION = "ground_truth_motion.npz"
GT_MASKS = "ground_truth_masks.npz"


def _component_key(c: ComponentConfig) -> dict:
    return {"name": c.name, "options": dict(c.options)}


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow (T,H,W) masks by ``radius`` px so tracking also ignores the soft borders of moving things."""
    if radius <= 0:
        return mask
    from scipy.ndimage import binary_dilation

    st = np.ones((1, 2 * radius + 1, 2 * radius + 1), bool)
    return binary_dilation(mask, structure=st)


class ClipRunner:
    def __init__(self, cfg: RunConfig, run_dir: Path, progress: bool = True) -> None:
        from zerohsi.composition import make_render_fn
        from zerohsi.devices import resolve_device

        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.progress = progress
        self.device = resolve_device(cfg.device)
        self.render_fn = make_render_fn(cfg)
        self.background = torch.tensor(cfg.render.background, dtype=torch.float32, device=self.device)
        self.store = StageStore(self.run_dir)
        self.host = get_host()

    @functools.cached_property
    def generator(self):
        """The run's video generator, built once for the initial state and every clip."""
        vg = self.cfg.video.generator
        return self.host.build("video_generator", vg.name, vg.options, "video.generator.options")

    # -- helpers -----------------------------------------------------------------------------------------------
    def _loop(self, stage_dir: Path):
        from zerohsi.recon.callbacks import RichProgress
        from zerohsi.recon.loop import FrameLoop

        # W&B gets the whole finished run folder (zerohsi.wandb_log), not a live stream per stage
        callbacks = [RichProgress(enabled=self.progress)] + list(self.extra_callbacks)
        return FrameLoop(seed=self.cfg.seed, device=self.device, callbacks=callbacks, checkpoint_dir=stage_dir)

    extra_callbacks: list[Any] = []

    # -- stages ------------------------------------------------------------------------------------------------
    def generate_video(self, setup: Setup, first_frame: np.ndarray, clip: int, prompt: str):
        from zerohsi.video.base import VideoRequest
        from zerohsi.video.cache import cached_generate
        from zerohsi.video.resample import resample_video

        generator = self.generator
        vc = self.cfg.video
        workdir = self.run_dir / "work" / f"video{clip}"
        workdir.mkdir(parents=True, exist_ok=True)
        request = VideoRequest(first_frame=first_frame, prompt=prompt, seed=self.cfg.seed + clip,
                               num_frames=vc.num_frames, fps=vc.fps, workdir=workdir, setup=setup)
        video, entry_dir = cached_generate(generator, request, self.cfg.cache_dir)
        if len(video) != vc.num_frames or abs(video.fps - vc.fps) > 1e-6:
            video = resample_video(video, vc.num_frames, vc.fps)
        return video, Path(entry_dir) if entry_dir is not None else None

    def segment(self, video, first_masks: Masks, setup: Setup) -> Masks:
        seg = self.host.build("segmenter", self.cfg.segmenter.name, self.cfg.segmenter.options)
        return seg.segment(video, first_masks, setup)

    def track(self, setup: Setup, frames: torch.Tensor, masks: Masks, clip: int, key: str = ""):
        from zerohsi.recon.tracking import CameraTracking

        static = 1.0 - torch.from_numpy(_dilate(masks.union_upto(), 2)).float().to(self.device)
        problem = CameraTracking(setup.scene.gaussians, frames, static, setup.camera0, self.cfg.tracking,
                                 self.render_fn, self.background)
        state = self._loop(self.run_dir / "checkpoints" / f"clip{clip}").run(problem, key)
        return problem.cameras(), state.losses

    def fit(self, setup: Setup, frames: torch.Tensor, masks: Masks, cameras, init, clip: int, key: str = ""):
        from zerohsi.recon.fitting import HSIFitting

        human = torch.from_numpy(masks.human).float().to(self.device)
        obj = torch.from_numpy(masks.object).float().to(self.device) if masks.object is not None else None
        problem = HSIFitting(setup, frames, human, obj, cameras, init, self.cfg.fit, self.render_fn, self.background)
        state = self._loop(self.run_dir / "checkpoints" / f"clip{clip}").run(problem, key)
        return problem, state.losses

    # -- the clip ----------------------------------------------------------------------------------------------
    def run_clip(self, setup: Setup, clip: int, prompt: str) -> dict[str, Any]:
        from zerohsi.composition import render_first_frame

        cfg = self.cfg
        sfx = "" if clip == 0 else f"_clip{clip}"
        with self.store.timed("render_first_frame"):
            first, first_masks = render_first_frame(setup, self.render_fn, self.background)
        with self.store.timed("generate_video"):
            video, entry_dir = self.generate_video(setup, first, clip, prompt)
            atomic_savez(self.run_dir / f"frames{sfx}.npz", frames=video.frames)
            gt_motion = gt_masks = None
            for name in (GT_MOTION, GT_MASKS):
                src = entry_dir / name if entry_dir is not None else None
                if src is not None and src.exists():
                    shutil.copyfile(src, self.run_dir / name.replace(".npz", f"{sfx}.npz"))
            if (self.run_dir / GT_MOTION.replace(".npz", f"{sfx}.npz")).exists():
                gt_motion = Motion.load(self.run_dir / GT_MOTION.replace(".npz", f"{sfx}.npz"))
                m = load_npz(self.run_dir / GT_MASKS.replace(".npz", f"{sfx}.npz"))
                gt_masks = Masks(m["human"], m.get("object"))
        video_key = content_key(video.provenance, video.frames.shape)

        seg_key = content_key(video_key, _component_key(cfg.segmenter), cfg.render.width, cfg.render.height)
        masks_file = f"masks{sfx}.npz"
        with self.store.timed("segment"):
            if self.store.finished(f"segment{sfx}", seg_key, masks_file):
                m = load_npz(self.run_dir / masks_file)
                masks = Masks(m["human"], m.get("object"))
            else:
                masks = self.segment(video, first_masks, setup)
                arrays = {"human": masks.human}
                if masks.object is not None:
                    arrays["object"] = masks.object
                atomic_savez(self.run_dir / masks_file, **arrays)
                self.store.mark(f"segment{sfx}", seg_key)

        frames = video.tensor(self.device)
        # each checkpointed stage is keyed by its inputs: a resume after the clip or the config changed redoes it
        c = cfg
        track_key = content_key(seg_key, c.tracking, c.render, c.instance, c.seed, clip)
        fit_key = content_key(track_key, c.fit, c.avatar, _component_key(c.pose_initializer))
        with self.store.timed("track_camera"):
            cameras, track_losses = self.track(setup, frames, masks, clip, track_key)
        with self.store.timed("init_poses"):
            initializer = self.host.build("pose_initializer", cfg.pose_initializer.name, cfg.pose_initializer.options)
            init = initializer.initialize(video, masks, cameras, setup)
            for note in init.notes:
                log.info("pose initializer: %s", note)
        with self.store.timed("fit_hsi"):
            problem, fit_losses = self.fit(setup, frames, masks, cameras, init, clip, fit_key)
        motion = Motion(problem.body(), setup.avatar.body_model.name, video.fps, problem.object_pose_tensor(),
                        provenance={"video": video.provenance, "prompt": prompt, "seed": cfg.seed,
                                    "instance": cfg.instance.label}).with_cameras(cameras)
        return {"video": video, "masks": masks, "motion": motion, "problem": problem, "gt_motion": gt_motion,
                "gt_masks": gt_masks, "losses": {"tracking": track_losses, "fit": fit_losses}}

    def run(self):
        from zerohsi.clip_setup import build_setup

        cfg = self.cfg
        with self.store.timed("setup"):
            setup = build_setup(cfg, self.device)
            # a generator whose clip starts from another state (the test signal playing a motion file) says which
            start = getattr(self.generator, "initial_body", None)
            body0 = start(setup) if callable(start) else None
            if body0 is not None:
                import dataclasses

                setup = dataclasses.replace(setup, body0=body0)
        clips = max(1, int(cfg.chain.clips))
        prompts = list(cfg.chain.prompts) or [setup.prompt]
        results = []
        for k in range(clips):
            prompt = prompts[min(k, len(prompts) - 1)]
            if k > 0:
                setup = self.next_setup(setup, results[-1]["motion"])
            log.info("clip %d/%d: %s", k + 1, clips, prompt)
            results.append(self.run_clip(setup, k, prompt))
        motion = concat_motions([r["motion"] for r in results])
        raw_motion = motion
        with self.store.timed("refine"):
            from zerohsi.refine import apply_refiners, build_refiners

            motion, refine_report = apply_refiners(build_refiners(cfg.refiners, self.host), motion, setup)
        motion.save(self.run_dir / "motion.npz")
        if cfg.refiners:
            raw_motion.save(self.run_dir / "motion_unrefined.npz")
        with self.store.timed("evaluate"):
            evaluation, prov = self.evaluate(motion, raw_motion if cfg.refiners else None, setup, results)
        atomic_write_json(self.run_dir / "metrics.json", {**evaluation.to_json(), "run": prov})
        metrics = evaluation.values
        gt = results[0]["gt_motion"] if clips == 1 else None
        atomic_write_json(self.run_dir / "losses.json", results[0]["losses"] if clips == 1 else
                          {f"clip{k}": r["losses"] for k, r in enumerate(results)})
        if refine_report:
            atomic_write_json(self.run_dir / "refine.json", refine_report)
        atomic_write_json(self.run_dir / "timings.json", self.timings(motion))
        with self.store.timed("outputs"):
            self.write_outputs(setup, results)
        atomic_write_json(self.run_dir / "timings.json", self.timings(motion))
        self.store.mark(StageStore.COMPLETE, "done")
        return RunResult(self.run_dir, motion, metrics, self.store.timings, gt, results[0]["video"],
                         results[0]["masks"], {"setup": setup, "clips": results, "evaluation": evaluation,
                                               "provenance": prov})

    def timings(self, motion: Motion) -> dict[str, Any]:
        T = max(1, len(motion))
        return {"seconds": dict(self.store.timings),
                "seconds_per_frame": {k: v / T for k, v in self.store.timings.items()},
                "frames": len(motion), "device": str(self.device)}

    def next_setup(self, setup: Setup, motion: Motion) -> Setup:
        """The next clip starts from the last frame's state, rendered from the last tracked camera."""
        import dataclasses

        last = len(motion) - 1
        return dataclasses.replace(
            setup, body0=motion.body[last].detach(), camera0=motion.camera(last),
            object_pose0=None if motion.object_poses is None else motion.object_poses[last].detach(),
            instance=setup.instance,
        )

    def evaluate(self, motion: Motion, unrefined: Optional[Motion], setup: Setup, results):
        """The run's metrics (every registered one when the config names none) and its provenance.

        The reconstruction is rendered once with the run's avatar, object, scene and tracked cameras and saved in
        the run folder; the CLIP metrics score those renders. A metric that cannot be computed (no renders, too few
        frames, no object, missing weights) is recorded as skipped with its reason and never aborts the run.
        (With refiners, the unrefined motion, which the paper's comparisons use, is scored too, as unrefined/*.)
        """
        from zerohsi.metrics.evaluate import evaluate_run
        from zerohsi.outputs.reconstruction import render_reconstruction_video
        from zerohsi.provenance import run_provenance

        first = results[0]
        gt = first["gt_motion"] if len(results) == 1 else None
        metrics = list(self.cfg.metrics) or None

        def score(m: Motion, run_dir: Path, mp4: bool):
            rendered = render_reconstruction_video(setup, m, run_dir, backend=self.cfg.render.backend,
                                                   background=self.cfg.render.background, mp4=mp4)
            return evaluate_run(m, setup, rendered=rendered, video=first["video"], masks=first["masks"],
                                ground_truth=gt, gt_masks=first["gt_masks"], metrics=metrics, host=self.host)

        evaluation = score(motion, self.run_dir, True)
        if unrefined is not None:
            evaluation.update(score(unrefined, self.run_dir / "unrefined", False).prefixed("unrefined/"))
        return evaluation, run_provenance(self.cfg, setup, first["video"], first["masks"], evaluation)

    def write_outputs(self, setup: Setup, results) -> None:
        from zerohsi.outputs.stage import write_outputs
        from zerohsi.video.io import write_mp4

        first = results[0]
        video = first["video"]
        write_mp4(self.run_dir / "video.mp4", video.frames, video.fps)
        ec = self.cfg.export
        recon = None
        if ec.overlay_video and len(results) == 1:
            from zerohsi.outputs.video import ReconstructionFrames

            problem = first["problem"]  # its renders carry the body/object coverage the overlay tints
            recon = ReconstructionFrames.from_renders([problem.render_frame(t) for t in range(len(video))])
        write_outputs(self.run_dir, setup, formats=ec.formats, overlay=ec.overlay_video, orbit=ec.orbit_video,
                      report=ec.report, recon=recon, backend=self.cfg.render.backend)


def concat_motions(motions: list[Motion]) -> Motion:
    if len(motions) == 1:
        return motions[0]
    from zerohsi.body.params import BodyParams

    first = motions[0]
    cat = lambda name: None if getattr(first, name) is None else torch.cat([getattr(m, name) for m in motions])  # noqa: E731
    return Motion(BodyParams.cat([m.body for m in motions]), first.body_model, first.fps, cat("object_poses"),
                  cat("K"), cat("world_to_cam"), first.image_size,
                  {"clips": [m.provenance for m in motions]})
