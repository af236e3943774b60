"""The segmenter interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Protocol, runtime_checkable

from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup


@runtime_checkable
class Segmenter(Protocol):
    def segment(self, video: Video, first_masks: Masks, setup: Setup,
                cameras: Optional[Sequence[Camera]] = None) -> Masks:
        """Per-frame human/object masks. ``first_masks`` (T=1) are the rendered, occlusion-aware frame-0 masks the
        prompts come from; ``cameras`` are per-frame camera estimates when known."""
        ...
