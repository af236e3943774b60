"""A small BVH (Biovision hierarchy) reader: skeleton, channels, frames, and forward kinematics to joint positions.

Reading conventions (the common ones): rotation channels are Euler angles in degrees applied in the order listed,
R = R_first · R_second · R_third (intrinsic); a joint with position channels takes them as its translation
relative to its parent (replacing its OFFSET), otherwise its OFFSET; End Sites become extra joints named
``<parent>_End`` without channels.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from zerohsi.errors import UserError


@dataclass
class BvhJoint:
    name: str
    parent: int
    offset: np.ndarray  # (3,)
    channels: list[str] = field(default_factory=list)
    channel_start: int = 0
    end_site: bool = False


@dataclass
class Bvh:
    """joints in file order (parents before children); motion (T, C) raw channel values; frame_time seconds."""

    joints: list[BvhJoint]
    motion: np.ndarray
    frame_time: float

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.joints]

    @property
    def parents(self) -> np.ndarray:
        return np.array([j.parent for j in self.joints], dtype=np.int64)

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time if self.frame_time > 0 else 30.0

    def local_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame local rotations (T,J,3,3) and translations (T,J,3) of every joint relative to its parent."""
        T, J = self.num_frames, len(self.joints)
        R = np.tile(np.eye(3), (T, J, 1, 1))
        t = np.tile(np.stack([j.offset for j in self.joints])[None], (T, 1, 1)).astype(np.float64)
        for k, joint in enumerate(self.joints):
            pos = np.zeros((T, 3))
            has_pos = False
            for c, ch in enumerate(joint.channels):
                values = self.motion[:, joint.channel_start + c]
                kind, axis = ch[1:].lower(), "xyz".index(ch[0].lower())
                if kind == "position":
                    pos[:, axis] = values
                    has_pos = True
                else:
                    R[:, k] = R[:, k] @ _axis_rotation(axis, np.radians(values))
            if has_pos:
                t[:, k] = pos
        return R, t

    def global_positions(self) -> np.ndarray:
        """(T,J,3) joint positions in the file's frame and units."""
        R, t = self.local_transforms()
        G = np.empty_like(R)
        P = np.empty_like(t)
        for k, joint in enumerate(self.joints):
            if joint.parent < 0:
                G[:, k], P[:, k] = R[:, k], t[:, k]
            else:
                p = joint.parent
                G[:, k] = G[:, p] @ R[:, k]
                P[:, k] = P[:, p] + (G[:, p] @ t[:, k, :, None])[..., 0]
        return P


def _axis_rotation(axis: int, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros(angle.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def parse_bvh(text: str) -> Bvh:
    """Parse BVH text; raises ValueError with the reason when it is malformed."""
    tokens = text.split()
    pos = 0

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("unexpected end of file")
        pos += 1
        return tokens[pos - 1]

    def expect(word: str) -> None:
        got = take()
        if got.upper() != word:
            raise ValueError(f"expected {word}, found {got!r}")

    expect("HIERARCHY")
    joints: list[BvhJoint] = []
    channel_count = 0
    stack: list[int] = []
    kind = take().upper()
    if kind != "ROOT":
        raise ValueError(f"expected ROOT, found {kind!r}")
    pending = ("ROOT", take())
    while True:
        if pending is not None:
            kind, name = pending
            pending = None
            expect("{")
            parent = stack[-1] if stack else -1
            end = kind == "END"
            if end:
                name = f"{joints[parent].name}_End"
            expect("OFFSET")
            offset = np.array([float(take()) for _ in range(3)])
            joint = BvhJoint(name, parent, offset, end_site=end, channel_start=channel_count)
            joints.append(joint)
            stack.append(len(joints) - 1)
            continue
        tok = take()
        up = tok.upper()
        if up == "CHANNELS":
            n = int(take())
            chans = [take() for _ in range(n)]
            for ch in chans:
                if ch[1:].lower() not in ("position", "rotation") or ch[0].lower() not in "xyz":
                    raise ValueError(f"unknown channel {ch!r}")
            joints[stack[-1]].channels = chans
            joints[stack[-1]].channel_start = channel_count
            channel_count += n
        elif up == "JOINT":
            pending = ("JOINT", take())
        elif up == "END":
            take()  # "Site"
            pending = ("END", "")
        elif up == "}":
            stack.pop()
            if not stack:
                break
        else:
            raise ValueError(f"unexpected token {tok!r} in the hierarchy")
    expect("MOTION")
    expect("FRAMES:")
    frames = int(take())
    word = take()
    if word.upper() == "FRAME":
        word = take()
        if word.upper() != "TIME:":
            raise ValueError("expected 'Frame Time:'")
    frame_time = float(take())
    values = np.array([float(v) for v in tokens[pos:]], dtype=np.float64)
    if channel_count == 0 or values.size < frames * channel_count:
        raise ValueError(f"expected {frames} frames of {channel_count} values, found {values.size} values")
    motion = values[: frames * channel_count].reshape(frames, channel_count)
    if not np.isfinite(motion).all() or not math.isfinite(frame_time):
        raise ValueError("non-finite values in the motion data")
    return Bvh(joints, motion, frame_time)


def load_bvh(path: str | os.PathLike) -> Bvh:
    """Read a BVH file; a missing or malformed file is a UserError."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        raise UserError(f"BVH file '{path}' does not exist; check the path.") from None
    try:
        return parse_bvh(text)
    except ValueError as exc:
        raise UserError(f"'{path}' is not a valid BVH file ({exc}).") from None
