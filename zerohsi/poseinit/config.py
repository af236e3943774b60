"""Options of the built-in pose initializers (dataclasses only: imported when plugins are listed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PreviousFrameConfig:
    pass


@dataclass
class RestConfig:
    #: keep the initial state's body pose (True) or the body model's rest pose (False) as every frame's estimate
    from_initial_state: bool = False


@dataclass
class SmplAdapterConfig:
    """Options every SMPL-family adapter takes."""

    #: the SMPL / SMPL-X model file (or a folder laid out as smplx.create expects): the user's licensed download
    model_path: str = ""
    #: neutral | male | female
    gender: str = "neutral"
    #: the tool's result file or folder (read as is)
    output: str = ""
    #: when output is empty, a command template run on the clip ({video}: an mp4 of it, {output}: the folder to write)
    command: str = ""
    #: the folder to run the command in
    cwd: str = ""
    #: time limit of the command, in seconds
    timeout_s: float = 3600.0
    #: retargeting iterations per frame (the tool's body onto the run's body model)
    fit_iters: int = 100


@dataclass
class KeypointsConfig:
    """Options of the ``keypoint_fit`` initializer: one person's 2-D or 3-D keypoints, fitted with the run's body.

    The 2-D loss weights are relative to a reprojection term of about (error / (robust_scale x video diagonal))^2
    per keypoint.
    """

    #: the keypoint file: .npz with ``keypoints`` (T,K,3) [u, v, conf] in video pixels or (T,K,4) [x, y, z, conf] in
    #: metres (OpenCV camera frame) and an optional ``layout``; or .json, per-frame lists of [u, v, conf] (empty: nobody
    #: on that frame), bare or under "keypoints"; not needed when a detector plugin supplies the keypoints
    file: str = ""
    #: auto (the file's ``layout`` entry, else guessed from K) | core (K = 21 in CORE_JOINTS order) | coco17
    layout: str = "auto"
    #: keypoints below this confidence are ignored; a frame with none above it has no person
    min_conf: float = 0.3
    #: optimisation iterations (Adam for 2-D keypoints; the retargeting fit for 3-D ones)
    iters: int = 150
    #: L-BFGS iterations after Adam (2-D; 0 skips them)
    polish_iters: int = 20
    #: Adam step size (2-D)
    lr: float = 0.02
    #: pull of each frame's root and pose toward its neighbours' (carries frames without a person)
    smooth_weight: float = 0.01
    #: pull of the root's frame-to-frame motion along the camera ray toward zero, the direction one view barely sees
    depth_weight: float = 0.3
    #: weak pull of the body pose toward the initial state's
    pose_prior_weight: float = 1e-3
    #: penalty on joint angles beyond anatomical limits (tells a knee bent backward from one bent toward the camera)
    joint_limit_weight: float = 1.0
    #: Geman-McClure scale of the reprojection error, as a fraction of the video diagonal (wrong detections count
    #: little)
    robust_scale: float = 0.05
    #: pull of the depth of each left keypoint relative to its right one (camera frame) toward the detector's own
    #: 3-D estimate (tracks with ``relative_xyz``, e.g. BlazePose's world landmarks; robust, 10 cm scale): it tells
    #: which limb is nearer the camera
    relative_weight: float = 0.5
    #: where each frame's HSI fit starts its body pose: "fit" (the pose fitted to the keypoints) or "previous" (the
    #: previous frame's fitted pose, as previous_frame; the keypoints then serve only the fit's keypoint term,
    #: fit.w_keypoints)
    start: str = "fit"


def smpl_adapter_missing(name: str):
    """The ``requirements`` of an SMPL-family adapter called ``name``: its model file, and its output or command."""

    def missing(cfg: SmplAdapterConfig) -> list[str]:
        from pathlib import Path

        found = []
        if not cfg.model_path:
            found.append(f"The {name} pose initializer needs the SMPL-family model file its tool uses; set "
                         "pose_initializer.options.model_path to your downloaded model.")
        elif not Path(cfg.model_path).expanduser().exists():
            found.append(f"pose_initializer.options.model_path '{cfg.model_path}' does not exist; point it at your "
                         "downloaded model file or folder.")
        if cfg.output and not Path(cfg.output).expanduser().exists():
            found.append(f"pose_initializer.options.output '{cfg.output}' does not exist; point it at the {name} "
                         "result for this clip.")
        elif not cfg.output and not cfg.command:
            found.append(f"The {name} pose initializer needs pose_initializer.options.output (the tool's result) or "
                         "pose_initializer.options.command (how to run the tool on the clip).")
        return found

    return missing
