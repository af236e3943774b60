"""Template zerohsi plugin for the role people extend most: a video generator.

``camera_move`` turns the first frame I0 into a clip by a smooth, seeded zoom and pan over the still image -- what
an image-to-video model does when it animates nothing but the camera. Copy this package to wrap a new video model:
keep the config dataclass, the cache key and the provenance, and replace ``generate``'s body by the model call.
"""
