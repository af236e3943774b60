"""A small BVH (Biovision hierarchy) reader: skeleton, channels, frames, and forward kinematics to joint positions.

Reading conventions (the common ones): rotation channels are Euler angles in degrees applied in the order listed,
R = R_first · R_second · R_third (intrinsic); a joint with position channels takes them as its translation
relative to its parent (replacing its OFFSET), otherwise its OFFSET; End Sites become extra joints named
``<parent>_End`` without channels.
"""

from __future__ import annotations

import math
import os
import re
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
        return 1.0 / self.frame_time

    def rest_positions(self) -> np.ndarray:
        """(J,3) joint positions of the skeleton's rest pose (OFFSETs only, every channel zero)."""
        pos = np.zeros((len(self.joints), 3))
        for k, joint in enumerate(self.joints):
            pos[k] = joint.offset if joint.parent < 0 else pos[joint.parent] + joint.offset
        return pos

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
    """Parse BVH text; raises ValueError with the reason (and the line, for motion rows) when it is malformed.

    Strict on the motion block: ``Frames`` must be a positive integer, ``Frame Time`` a positive number, and
    there must be exactly ``Frames`` rows of exactly as many values as the hierarchy declares channels (a row
    with one value too many or too few would shift every later channel of the file).
    """
    split = re.search(r"^[ \t]*MOTION[ \t\r]*$", text, flags=re.MULTILINE | re.IGNORECASE)
    if split is None:
        raise ValueError("no MOTION section")
    joints, channel_count = _parse_hierarchy(text[:split.start()].split())
    motion_lines = text[split.end():].split("\n")
    first_line = text[:split.end()].count("\n") + 1  # 1-based number of the line after MOTION
    rows = [(first_line + k, line.strip()) for k, line in enumerate(motion_lines) if line.strip()]
    if len(rows) < 2:
        raise ValueError("the MOTION section lacks its 'Frames:' and 'Frame Time:' lines")
    frames = _header_number(rows[0], r"frames\s*:\s*(\S+)", "Frames:", int)
    if frames <= 0:
        raise ValueError(f"line {rows[0][0]} says 'Frames: {frames}'; a motion needs at least one frame")
    frame_time = _header_number(rows[1], r"frame\s+time\s*:\s*(\S+)", "Frame Time:", float)
    if not math.isfinite(frame_time) or frame_time <= 0:
        raise ValueError(f"line {rows[1][0]} says 'Frame Time: {frame_time:g}'; it must be a positive number of "
                         "seconds")
    if channel_count == 0:
        raise ValueError("the hierarchy declares no channels")
    data = rows[2:]
    if len(data) != frames:
        raise ValueError(f"'Frames: {frames}' but the file holds {len(data)} rows of motion data")
    motion = np.empty((frames, channel_count), dtype=np.float64)
    for k, (lineno, line) in enumerate(data):
        values = line.split()
        if len(values) != channel_count:
            raise ValueError(f"line {lineno} has {len(values)} values but the hierarchy declares {channel_count} "
                             "channels")
        try:
            motion[k] = [float(v) for v in values]
        except ValueError:
            raise ValueError(f"line {lineno} holds a value that is not a number") from None
    if not np.isfinite(motion).all():
        raise ValueError("non-finite values in the motion data")
    return Bvh(joints, motion, frame_time)


def _header_number(row: tuple[int, str], pattern: str, label: str, kind):
    lineno, line = row
    m = re.fullmatch(pattern, line, flags=re.IGNORECASE)
    if m is None:
        raise ValueError(f"line {lineno} should read '{label} <number>', found {line[:40]!r}")
    try:
        return kind(m.group(1))
    except ValueError:
        raise ValueError(f"line {lineno}: {m.group(1)!r} is not a valid value for '{label}'") from None


def _parse_hierarchy(tokens: list[str]) -> tuple[list[BvhJoint], int]:
    pos = 0

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("unexpected end of the hierarchy")
        pos += 1
        return tokens[pos - 1]

    def expect(word: str) -> None:
        got = take()
        if got.upper() != word:
            raise ValueError(f"expected {word}, found {got!r}")

    def number() -> float:
        tok = take()
        try:
            return float(tok)
        except ValueError:
            raise ValueError(f"expected a number, found {tok!r}") from None

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
            offset = np.array([number() for _ in range(3)])
            joint = BvhJoint(name, parent, offset, end_site=end, channel_start=channel_count)
            joints.append(joint)
            stack.append(len(joints) - 1)
            continue
        tok = take()
        up = tok.upper()
        if up == "CHANNELS":
            count = take()
            if not count.isdigit():
                raise ValueError(f"CHANNELS of '{joints[stack[-1]].name}' must be followed by a count, found "
                                 f"{count!r}")
            n = int(count)
            chans = [take() for _ in range(n)]
            for ch in chans:
                if ch[1:].lower() not in ("position", "rotation") or ch[0].lower() not in "xyz":
                    raise ValueError(f"joint '{joints[stack[-1]].name}' declares {n} channels, but {ch!r} is not "
                                     "a channel name")
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
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos]!r} after the root joint's closing brace")
    return joints, channel_count


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
