"""MediaPipe BlazePose for zerohsi: a keypoint detector and the ``mediapipe`` pose initializer built on it."""
