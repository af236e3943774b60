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
    """Options every SMPL-family adapter takes.

    model_path: the SMPL / SMPL-X model file (or a folder laid out as smplx.create expects) — the user's licensed
    download; gender: neutral | male | female; output: the tool's result file or folder (read as is); command: when
    output is empty, a template run on the clip (``{video}`` an mp4 of it, ``{output}`` the folder to write); cwd: the
    folder to run the command in; timeout_s: limit for the command; fit_iters: retargeting iterations per frame.
    """

    model_path: str = ""
    gender: str = "neutral"
    output: str = ""
    command: str = ""
    cwd: str = ""
    timeout_s: float = 3600.0
    fit_iters: int = 100


@dataclass
class KeypointsConfig:
    """Options of the ``keypoint_fit`` initializer: one person's 2-D or 3-D keypoints, fitted with the run's body.

    file: the keypoint file — .npz with ``keypoints`` (T,K,3) [u, v, conf] in video pixels or (T,K,4) [x, y, z,
    conf] in metres in the OpenCV camera frame, and an optional ``layout`` string; or .json, a list of per-frame
    lists of [u, v, conf] (an empty list: nobody on that frame), bare or under "keypoints" with a "layout". Not
    needed when a detector plugin supplies the keypoints. layout: "auto" (the file's ``layout`` entry, else guessed
    from K), "core" (K = 21 in CORE_JOINTS order) or "coco17" (the COCO-17 order of most 2-D detectors). min_conf:
    keypoints below this confidence are ignored; a frame with none above it has no person. iters: optimisation
    iterations (Adam for 2-D keypoints; the retargeting fit for 3-D ones). polish_iters: L-BFGS iterations after
    Adam (2-D; 0 skips them). lr: Adam step size (2-D). The 2-D loss weights are relative to a reprojection term of
    about (error / (robust_scale x video diagonal))^2 per keypoint: smooth_weight: pull of each frame's root and
    pose toward its neighbours' (carries frames without a person); depth_weight: pull of the root's motion along the
    camera ray toward zero from one frame to the next (frame 0's from the initial state), the direction one view
    barely sees; pose_prior_weight: weak pull of the body pose toward the initial state's; joint_limit_weight:
    penalty on angles beyond anatomical limits (it tells a knee bent backward from one bent forward toward the
    camera, which project alike); robust_scale: Geman–McClure scale of the reprojection error as a fraction of the
    video diagonal (errors well beyond it, such as wrong detections, count little). relative_weight: pull of the
    depth of each left keypoint relative to its right one (in the camera frame) toward the detector's own 3-D
    estimate (tracks with ``relative_xyz``, e.g. BlazePose's world landmarks; robust, 10 cm scale): it tells which
    limb is nearer the camera. start: where each frame's HSI fit starts its body pose: "fit" (the pose fitted to
    the keypoints) or "previous" (the previous frame's fitted pose, as ``previous_frame``; the keypoints then serve
    only the fit's keypoint term, ``fit.w_keypoints``).
    """

    file: str = ""
    layout: str = "auto"
    min_conf: float = 0.3
    iters: int = 150
    polish_iters: int = 20
    lr: float = 0.02
    smooth_weight: float = 0.01
    depth_weight: float = 0.3
    pose_prior_weight: float = 1e-3
    joint_limit_weight: float = 1.0
    robust_scale: float = 0.05
    relative_weight: float = 0.5
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
