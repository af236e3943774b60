"""The run configuration: OmegaConf structured configs (dataclasses).

Presets in ``configs/*.yaml`` and CLI dot-list overrides are merged onto :class:`RunConfig`. Components are chosen by
registered name (never by import path); their ``options`` are validated against the component's own config
dataclass when it is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class ComponentConfig:
    """A component selected by its registered name, with options for its own config dataclass."""

    name: str = "???"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class InstanceConfig:
    """What to act out: a suite instance, or an instance file for the user's own scene (``file``)."""

    #: an instance file (`zerohsi scenes instance` writes one): scene, camera, person, object, prompt and clip
    #: length of the user's own capture; when set, ``suite``/``name``/``scene_ply`` are not used, and the file's
    #: clip length becomes video.num_frames / video.fps, and its camera's aspect render.height (for the configured
    #: render.width), unless those are set on the command line
    file: Optional[str] = None
    suite: str = "anyinteraction"
    name: str = "living_room_sit_sofa"
    #: replaces the instance's prompt when set
    prompt: Optional[str] = None
    #: a user's real 3DGS .ply that replaces the procedural twin of the instance's scene
    scene_ply: Optional[str] = None
    #: Gaussian density of procedural scenes (1.0 ~ 30k Gaussians; tests use less)
    scene_density: float = 1.0

    @property
    def label(self) -> str:
        """What the run acted out, for run-folder names, provenance and reports: the instance file's name (without
        its suffix) or the suite instance's name."""
        from pathlib import Path

        return Path(self.file).stem if self.file else self.name


@dataclass
class RenderConfig:
    backend: str = "auto"  # auto | torch | gsplat (or any registered render_backend)
    width: int = 128
    height: int = 96
    background: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])


@dataclass
class AvatarConfig:
    body: ComponentConfig = field(default_factory=lambda: ComponentConfig(name="anny"))
    num_gaussians: int = 6000
    appearance: str = "casual"
    color_hidden: int = 32


@dataclass
class VideoConfig:
    generator: ComponentConfig = field(default_factory=lambda: ComponentConfig(name="scripted"))
    #: frames and rate after resampling (paper: 153 generated frames downsampled x3 -> 51 at 10 fps)
    num_frames: int = 51
    fps: float = 10.0


@dataclass
class TrackingConfig:
    enabled: bool = True
    iters: int = 30
    lr: float = 1e-3


@dataclass
class FitConfig:
    iters: int = 300
    lr: float = 1e-2
    #: first iterations optimise only root translation + orientation
    root_only_iters: int = 30
    lambda_dssim: float = 0.1
    w_center: float = 1e-3
    w_depth: float = 1e-3
    color_every: int = 5
    color_lr: float = 1e-5
    #: centroid term on the HUMAN mask (the paper's L_center is on the object mask only); not in the paper (0
    #: reproduces it)
    w_center_human: float = 0.0
    #: silhouette term on rendered vs segmented masks; not in the paper (0 reproduces it)
    w_mask: float = 0.0
    #: robust, confidence-weighted 2-D reprojection of the body's joints against the pose initializer's detected
    #: keypoints (initializers that detect keypoints, e.g. mediapipe); not in the paper (0 reproduces it)
    w_keypoints: float = 0.0
    #: Geman-McClure scale of that reprojection error beyond the tolerance, as a fraction of the image diagonal
    keypoint_robust_scale: float = 0.05
    #: reprojection distance that costs nothing, as a fraction of the image diagonal (detected keypoints sit a few
    #: pixels off the model's joints; the term is against gross errors such as a swapped leg)
    keypoint_tolerance: float = 0.03
    #: each frame's root starts at the previous one moved by this fraction of the last frame-to-frame root motion
    #: (constant velocity); not in the paper (0 reproduces it), it matters when few iterations meet fast motion
    extrapolate: float = 0.0
    #: pull of the root orientation and body pose toward where the frame started (the previous frame's, or its
    #: constant-velocity prediction): a temporal prior against drift in directions one view barely constrains;
    #: not in the paper (0 reproduces it)
    w_temporal: float = 0.0
    #: with an initializer that has no pose estimate of its own (previous_frame, start=previous), each frame's body
    #: pose starts at the previous one moved on by this fraction of the last frame-to-frame change of each joint's
    #: rotation (constant angular velocity: a gait's legs keep swinging); not in the paper (0 reproduces it)
    extrapolate_pose: float = 0.0
    #: body joints whose rotations are optimised, by CORE_JOINTS name; "core" stands for the limb, spine, neck and
    #: head joints; empty: every bone of the body model (SMPL-X: its 21 body joints, as the paper)
    free_joints: list[str] = field(default_factory=list)
    #: ablation "w/o OPT_body": only root + orientation, initializer poses kept
    opt_body: bool = True
    #: ablation "w/o OPT_all": no optimisation at all; the initializer's (world) output is used as is
    opt_all: bool = True


@dataclass
class ChainConfig:
    """Long sequences: several clips, each starting from the previous clip's last state."""

    clips: int = 1
    prompts: list[str] = field(default_factory=list)


@dataclass
class WandbConfig:
    """W&B logging of the finished run (and of `zerohsi bench --wandb` sweeps); see zerohsi.wandb_log."""

    enabled: bool = False
    #: offline | online | disabled; unset: WANDB_MODE, else offline (nothing is sent unless asked)
    mode: Optional[str] = None
    #: unset: WANDB_PROJECT, else "zerohsi"
    project: Optional[str] = None
    #: W&B group; a sweep's runs default to the sweep folder's name
    group: Optional[str] = None


@dataclass
class ExportConfig:
    formats: list[str] = field(default_factory=lambda: ["npz"])
    overlay_video: bool = True
    #: free-viewpoint orbit render of the 4D result (orbit.mp4)
    orbit_video: bool = False
    report: bool = True


@dataclass
class RunConfig:
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    output_dir: str = "runs"
    #: run folder name; a name derived from the instance and time when unset
    run_name: Optional[str] = None
    instance: InstanceConfig = field(default_factory=InstanceConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    avatar: AvatarConfig = field(default_factory=AvatarConfig)
    video: VideoConfig = field(default_factory=VideoConfig)
    segmenter: ComponentConfig = field(default_factory=lambda: ComponentConfig(name="scene_difference"))
    pose_initializer: ComponentConfig = field(default_factory=lambda: ComponentConfig(name="previous_frame"))
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    fit: FitConfig = field(default_factory=FitConfig)
    refiners: list[ComponentConfig] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    chain: ChainConfig = field(default_factory=ChainConfig)
    wandb: WandbConfig = field(default_factory=WandbConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    #: stage cache shared across runs (paid videos are never bought twice); defaults to ~/.cache/zerohsi
    cache_dir: Optional[str] = None


#: config fields that select a single component, by role (used by `--plugins name,...`)
ROLE_FIELDS = {
    "video_generator": "video.generator",
    "segmenter": "segmenter",
    "pose_initializer": "pose_initializer",
    "body_model": "avatar.body",
    "render_backend": "render.backend",
}
