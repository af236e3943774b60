"""The program player: a motion program (walk_to, sit, pick_up, ...) -> a ground-truth :class:`Motion`.

Used by the scripted TEST SIGNAL to know exactly what the reconstruction should recover. Motions are built to be
plausible enough to measure against: every transition is eased (minimum-jerk position profiles, smoothstep pose
blends done per joint by quaternion slerp), legs follow a walk cycle whose stride and amplitude follow the root's
speed, the root height keeps the lowest vertex on the floor whenever the body stands, a seated body rests its
buttocks on the seat surface (no penetration), and a held object is rigidly attached to the hands from the frame they
grasp it to the frame they release it.

Steps are played in order at their ``duration_s``; frame k shows time k / fps. A program shorter than the clip holds
its last state; a longer one is cut.

Conventions: scene headings (``yaw_deg`` of programs and targets) are degrees counter-clockwise from +X; the body's
own yaw (zerohsi.body.poses) is 0 when facing -Y, so body yaw = heading + 90.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Optional

import torch

from zerohsi.body.params import BodyModel, BodyParams
from zerohsi.errors import UserError
from zerohsi.geometry import (
    axis_angle_to_matrix,
    invert_transform,
    make_transform,
    matrix_to_axis_angle,
    matrix_to_quat,
    quat_to_matrix,
)
from zerohsi.motion import Motion

if TYPE_CHECKING:
    from zerohsi.scenes.scene import Scene, SceneObject
    from zerohsi.scenes.suite import Step

#: metres per full walk cycle at amplitude 1 (two steps; zerohsi.body.poses.walk_pose)
STRIDE_M = 1.3
#: how high pick_up raises an object above where it was grasped (lift and carry_to take it further)
PICKUP_RAISE_M = 0.12
#: how far in front of a surface (or an object on the floor) the body stops when no approach point is given
REACH_DISTANCE_M = 0.45


# -- easing and rotation blending ---------------------------------------------------------------------------------
def smoothstep(x: torch.Tensor) -> torch.Tensor:
    """C1 ease 0 -> 1 on [0,1] (clamped)."""
    x = x.clamp(0.0, 1.0)
    return x * x * (3 - 2 * x)


def min_jerk(x: torch.Tensor) -> torch.Tensor:
    """Minimum-jerk position profile 0 -> 1 on [0,1] (zero velocity and acceleration at both ends)."""
    x = x.clamp(0.0, 1.0)
    return x ** 3 * (10 - 15 * x + 6 * x * x)


def window(s: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """s in [a,b] rescaled to [0,1] (clamped)."""
    return ((s - a) / max(b - a, 1e-6)).clamp(0.0, 1.0)


def slerp_quat(q0: torch.Tensor, q1: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """(...,4) wxyz unit quaternions, weight (...,) -> (...,4) along the shortest arc."""
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)
    dot = dot.abs().clamp(max=1.0)
    theta = torch.acos(dot)
    sin = torch.sin(theta)
    w = w[..., None]
    small = sin < 1e-5
    a = torch.where(small, 1 - w, torch.sin((1 - w) * theta) / sin.clamp_min(1e-8))
    b = torch.where(small, w, torch.sin(w * theta) / sin.clamp_min(1e-8))
    q = a * q0 + b * q1
    return q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def slerp_pose(a: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Per-joint slerp of axis-angle poses: a, b (T,J*3) or (J*3,) broadcast, w (T,) -> (T,J*3)."""
    T = w.shape[0]
    if T == 0:  # a step shorter than a frame interval
        return a.reshape(-1, a.shape[-1])[:0].clone()
    a = a.reshape(-1, a.shape[-1]).expand(T, -1).reshape(T, -1, 3)
    b = b.reshape(-1, b.shape[-1]).expand(T, -1).reshape(T, -1, 3)
    qa, qb = matrix_to_quat(axis_angle_to_matrix(a)), matrix_to_quat(axis_angle_to_matrix(b))
    q = slerp_quat(qa, qb, w[:, None].expand(T, a.shape[1]))
    return matrix_to_axis_angle(quat_to_matrix(q)).reshape(T, -1)


def slerp_rot(Ra: torch.Tensor, Rb: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """(3,3) or (T,3,3) rotations, w (T,) -> (T,3,3)."""
    T = w.shape[0]
    if T == 0:
        return Ra.reshape(-1, 3, 3)[:0].clone()
    qa = matrix_to_quat(Ra.expand(T, 3, 3) if Ra.dim() == 2 else Ra)
    qb = matrix_to_quat(Rb.expand(T, 3, 3) if Rb.dim() == 2 else Rb)
    return quat_to_matrix(slerp_quat(qa, qb, w))


def yaw_matrix(body_yaw_deg: float | torch.Tensor) -> torch.Tensor:
    """(3,3) (or (T,3,3)) rotation about +Z by the body yaw in degrees."""
    t = torch.deg2rad(torch.as_tensor(body_yaw_deg, dtype=torch.float32))
    c, s = torch.cos(t), torch.sin(t)
    z, o = torch.zeros_like(t), torch.ones_like(t)
    return torch.stack([torch.stack([c, -s, z], -1), torch.stack([s, c, z], -1), torch.stack([z, z, o], -1)], -2)


def body_yaw_of(R: torch.Tensor) -> float:
    """Body yaw (degrees) of an orientation: the heading of its forward axis (-Y body) projected on the floor."""
    fwd = R @ torch.tensor([0.0, -1.0, 0.0])
    return math.degrees(math.atan2(float(fwd[0]), -float(fwd[1])))


def heading_to_body_yaw(heading_deg: float) -> float:
    return heading_deg + 90.0


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


# -- the plan -----------------------------------------------------------------------------------------------------
@dataclass
class _State:
    """Where the body and object are at the end of the steps played so far."""

    pose: torch.Tensor  # (P,) body_pose
    R: torch.Tensor  # (3,3) global orientation
    xy: torch.Tensor  # (2,) root position on the floor
    support: str = "floor"  # floor (root height from the lowest vertex) | fixed (z given)
    z: float = 0.0
    seat: Any = None  # the Target sat on
    obj: Optional[torch.Tensor] = None  # (4,4) object pose while not held
    holding: Optional[str] = None  # left | right | both while an object is held
    hold_pose: Optional[torch.Tensor] = None  # (P,) upper-body pose while holding (carry)
    rel: Optional[torch.Tensor] = None  # (4,4) object relative to the hand frame (planning estimate)


@dataclass
class _Track:
    """Per-frame plan of one clip (T frames)."""

    pose: torch.Tensor
    R: torch.Tensor
    xy: torch.Tensor
    w_floor: torch.Tensor  # (T,) 1: floor-supported root height, 0: z_fixed
    z_fixed: torch.Tensor
    obj: Optional[torch.Tensor]  # (T,4,4) object pose for frames where it is free
    held: torch.Tensor  # (T,) bool: the object follows the hands
    hand: list  # (T,) which hand(s) hold it (None when free)
    moved: torch.Tensor = None  # (T,) bool: the object is moved by a push this frame
    events: list = field(default_factory=list)  # (frame, what) grasp/release, for provenance

    def __post_init__(self) -> None:
        if self.moved is None:
            self.moved = torch.zeros(self.pose.shape[0], dtype=torch.bool)


class ProgramPlayer:
    """Plays motion programs for one body model, scene and (optional) object."""

    def __init__(self, model: BodyModel, scene: Scene, obj: Optional[SceneObject] = None, *,
                 shape: Optional[torch.Tensor] = None):
        from zerohsi.body.poses import pose_preset

        self.model = model
        self.scene = scene
        self.obj = obj
        self.floor = float(scene.floor_height)
        self.shape = shape if shape is not None else model.rest_params(1).shape
        self.presets = {n: pose_preset(model, n).body_pose[0].detach().float()
                        for n in ("standing", "sitting", "carry", "push", "pick_up", "neutral", "crouch")}
        idx = model.core_joint_index()
        self.joint = idx
        upper = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist"]
        self.upper_slots = [idx[j] - 1 for j in upper if j in idx]

    # -- body helpers -------------------------------------------------------------------------------------------
    def params(self, pose: torch.Tensor, R: torch.Tensor, transl: torch.Tensor) -> BodyParams:
        B = pose.shape[0]
        return BodyParams(transl.float(), matrix_to_axis_angle(R).float(), pose.float(),
                          self.shape.reshape(1, -1).expand(B, -1).float())

    def floor_z(self, pose: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
        """(B,) root z that puts the lowest vertex on the floor."""
        from zerohsi.body.poses import root_height_on_floor

        return root_height_on_floor(self.model, self.params(pose, R, torch.zeros(pose.shape[0], 3)), self.floor)

    def forward(self, params: BodyParams):
        with torch.no_grad():
            return self.model(params)

    def hands(self, joints: torch.Tensor, hand: str) -> torch.Tensor:
        """(B,3) the holding point: one hand joint or the midpoint of both."""
        names = {"left": ["left_hand"], "right": ["right_hand"], "both": ["left_hand", "right_hand"]}[hand]
        return torch.stack([joints[:, self.joint[n]] for n in names]).mean(0)

    def with_upper(self, pose: torch.Tensor, upper: Optional[torch.Tensor]) -> torch.Tensor:
        """(T,P) pose with the arm joints taken from ``upper`` (P,) (carrying/pushing while walking)."""
        if upper is None:
            return pose
        out = pose.clone().reshape(pose.shape[0], -1, 3)
        up = upper.reshape(-1, 3)
        out[:, self.upper_slots] = up[self.upper_slots]
        return out.reshape(pose.shape[0], -1)

    # -- locations ----------------------------------------------------------------------------------------------
    def location(self, loc, *, stand: bool = True) -> torch.Tensor:
        """(3,) world point of a location: a target name or [x,y] / [x,y,z]. With ``stand`` a target with an approach
        spot gives that spot (where a person stands to use it)."""
        if isinstance(loc, str):
            if loc == "floor":
                raise UserError("'floor' is not a place to walk to; give coordinates [x, y].")
            t = self.scene.target(loc)
            if stand and t.approach is not None:
                return torch.tensor([t.approach[0], t.approach[1], self.floor])
            return torch.tensor(t.point, dtype=torch.float32)
        v = [float(x) for x in loc]
        return torch.tensor(v if len(v) == 3 else [v[0], v[1], self.floor], dtype=torch.float32)

    def region_points(self, regions: Sequence[str], pose: torch.Tensor) -> torch.Tensor:
        if self.obj is None:
            raise UserError("This program handles an object but the instance has none; use a dynamic instance.")
        pts = [self.obj.region(r).world(pose)[0].mean(0) for r in regions]
        return torch.stack(pts).mean(0)

    # -- playing ------------------------------------------------------------------------------------------------
    def play(self, program: Sequence[Step], body0: BodyParams, fps: float, num_frames: int, *,
             object_pose0: Optional[torch.Tensor] = None, seat: Any = None,
             camera_fn: Optional[Callable[[int], Any]] = None) -> Motion:
        """The program as a Motion of ``num_frames`` frames at ``fps`` (cameras from ``camera_fn(frame)`` when
        given). body0: the initial state (B=1); seat: the Target the body starts seated on, if any."""
        T = int(num_frames)
        times = torch.arange(T, dtype=torch.float32) / float(fps)
        b0 = body0.detach().to("cpu", torch.float32)
        state = _State(pose=b0.body_pose[0].clone(), R=axis_angle_to_matrix(b0.global_orient[0]),
                       xy=b0.transl[0, :2].clone(), support="fixed" if seat is not None else "floor",
                       z=float(b0.transl[0, 2]), seat=seat,
                       obj=None if object_pose0 is None else object_pose0.detach().cpu().float().clone())
        P = state.pose.numel()
        track = _Track(pose=state.pose.expand(T, P).clone(), R=state.R.expand(T, 3, 3).clone(),
                       xy=state.xy.expand(T, 2).clone(), w_floor=torch.full((T,), 1.0 if seat is None else 0.0),
                       z_fixed=torch.full((T,), state.z), obj=None if state.obj is None else state.obj.expand(
                           T, 4, 4).clone(), held=torch.zeros(T, dtype=torch.bool), hand=[None] * T)
        t0 = 0.0
        for i, step in enumerate(program):
            t1 = t0 + float(step.duration_s)
            sel = torch.nonzero((times >= t0) & (times < t1)).flatten()
            handler = getattr(self, f"_{step.action}", None)
            if handler is None:
                raise UserError(f"program step {i} has unknown action '{step.action}'.")
            if len(sel):
                s = (times[sel] - t0) / float(step.duration_s)
                state = handler(step, state, s, sel, track)
            else:  # shorter than a frame interval: play it on a scratch frame so the state still advances
                scratch = _Track(pose=track.pose[:1].clone(), R=track.R[:1].clone(), xy=track.xy[:1].clone(),
                                 w_floor=track.w_floor[:1].clone(), z_fixed=track.z_fixed[:1].clone(),
                                 obj=None if track.obj is None else track.obj[:1].clone(), held=track.held[:1].clone(),
                                 hand=[None])
                state = handler(step, state, torch.ones(1), torch.zeros(1, dtype=torch.long), scratch)
            t0 = t1
        rest = torch.nonzero(times >= t0).flatten()
        if len(rest):
            self._hold(state, rest, track)
        return self._finish(track, fps, camera_fn, program)

    def _write(self, track: _Track, sel, pose, R, xy, w_floor, z_fixed, state: _State) -> None:
        if len(sel) == 0:
            return
        track.pose[sel] = pose
        track.R[sel] = R
        track.xy[sel] = xy
        track.w_floor[sel] = w_floor
        track.z_fixed[sel] = z_fixed
        if track.obj is not None:
            track.held[sel] = state.holding is not None
            for k in sel.tolist():
                track.hand[k] = state.holding
            if state.holding is None and state.obj is not None:
                track.obj[sel] = state.obj

    def _hold(self, state: _State, sel, track: _Track) -> None:
        n = len(sel)
        self._write(track, sel, state.pose.expand(n, -1), state.R.expand(n, 3, 3), state.xy.expand(n, 2),
                    torch.full((n,), 1.0 if state.support == "floor" else 0.0), torch.full((n,), state.z), state)

    # -- actions ------------------------------------------------------------------------------------------------
    def _idle(self, step, state: _State, s, sel, track) -> _State:
        self._hold(state, sel, track)
        return state

    def _turn(self, state: _State, target_yaw: float, s: torch.Tensor, a: float, b: float) -> torch.Tensor:
        """(n,3,3) orientations turning from the state's yaw to ``target_yaw`` (body yaw) over s in [a,b]."""
        start = body_yaw_of(state.R)
        delta = _wrap(target_yaw - start)
        return yaw_matrix(start + delta * smoothstep(window(s, a, b)))

    def _turn_to(self, step, state: _State, s, sel, track) -> _State:
        if step.get("yaw_deg") is not None:
            yaw = heading_to_body_yaw(float(step.get("yaw_deg")))
        else:
            p = self.location(step.get("target"), stand=False)
            d = p[:2] - state.xy
            yaw = math.degrees(math.atan2(float(d[0]), -float(d[1])))
        R = self._turn(state, yaw, s, 0.0, 1.0)
        n = len(sel)
        self._write(track, sel, state.pose.expand(n, -1), R, state.xy.expand(n, 2),
                    torch.full((n,), 1.0 if state.support == "floor" else 0.0), torch.full((n,), state.z), state)
        return replace(state, R=yaw_matrix(yaw))

    def _locomote(self, state: _State, goal_xy: torch.Tensor, s, sel, track, *, end_pose: torch.Tensor,
                  upper: Optional[torch.Tensor] = None, face_yaw: Optional[float] = None,
                  move: tuple[float, float] = (0.0, 1.0)) -> _State:
        """Walk from the state's position to ``goal_xy`` along a straight line (minimum-jerk speed profile), legs
        cycling with the distance covered, turning to the travel direction first."""
        from zerohsi.body.poses import walk_pose

        d = goal_xy - state.xy
        dist = float(d.norm())
        travel = math.degrees(math.atan2(float(d[0]), -float(d[1]))) if dist > 0.05 else body_yaw_of(state.R)
        yaw_end = travel if face_yaw is None else face_yaw
        u = window(s, *move)
        prog = min_jerk(u)
        xy = state.xy + prog[:, None] * d
        # turn toward the travel direction while speeding up, then (if asked) to the final facing while slowing
        start = body_yaw_of(state.R)
        yaw = start + _wrap(travel - start) * smoothstep(window(u, 0.0, 0.3))
        if face_yaw is not None:
            yaw = yaw + _wrap(face_yaw - travel) * smoothstep(window(u, 0.7, 1.0))
        R = yaw_matrix(yaw)
        speed = 16.0 * u ** 2 * (1 - u) ** 2  # min-jerk speed / peak speed, in [0,1]
        amp = speed.clamp(0, 1) if dist > 0.05 else torch.zeros_like(u)
        phase = prog * dist / STRIDE_M
        gait = walk_pose(self.model, phase, amplitude=1.0).body_pose.detach().float()
        base = slerp_pose(state.pose, end_pose, smoothstep(u))
        pose = slerp_pose(base, gait, amp) if len(sel) else base
        pose = self.with_upper(pose, upper)
        n = len(sel)
        if n:
            self._write(track, sel, pose, R, xy, torch.ones(n), torch.zeros(n), state)
        end = self.with_upper(end_pose[None], upper)[0]
        return replace(state, pose=end, R=yaw_matrix(yaw_end), xy=goal_xy.clone(), support="floor", seat=None)

    def _walk_to(self, step, state: _State, s, sel, track) -> _State:
        if state.holding is not None:
            return self._carry_to(step, state, s, sel, track)
        goal = self.location(step.get("target"))[:2]
        return self._locomote(state, goal, s, sel, track, end_pose=self.presets["standing"])

    def _carry_to(self, step, state: _State, s, sel, track) -> _State:
        goal = self._stop_before(step.get("target"), state)
        hold = state.hold_pose
        if not self._upright(hold):  # walking bent over is implausible: straighten up into the carry pose first
            hold = self.presets["carry"]
        out = self._locomote(state, goal, s, sel, track, end_pose=hold, upper=hold)
        return replace(out, hold_pose=hold)

    def _upright(self, pose: torch.Tensor) -> bool:
        """Whether the legs and back are (almost) straight in ``pose``: compare with standing outside the arms."""
        diff = (pose - self.presets["standing"]).reshape(-1, 3).norm(dim=1)
        diff[self.upper_slots] = 0
        return bool(diff.max() < 0.2)

    def _stop_before(self, loc, state: _State) -> torch.Tensor:
        """Where to stand to use ``loc``: its approach spot, or REACH_DISTANCE_M short of it."""
        if isinstance(loc, str) and self.scene.target(loc).approach is not None:
            return self.location(loc)[:2]
        p = self.location(loc, stand=False)[:2]
        d = p - state.xy
        n = float(d.norm())
        return p - d / max(n, 1e-6) * min(REACH_DISTANCE_M, n) if n > 1e-3 else state.xy.clone()

    def _sit(self, step, state: _State, s, sel, track) -> _State:
        t = self.scene.target(step.get("target"))
        yaw = heading_to_body_yaw(t.facing_deg)
        Rf = yaw_matrix(yaw)
        sit_pose, final = self._seated(t, Rf)
        R = self._turn(state, yaw, s, 0.0, 0.35)
        pose = slerp_pose(state.pose, sit_pose, smoothstep(window(s, 0.3, 0.95)))
        xy = state.xy + min_jerk(window(s, 0.35, 0.8))[:, None] * (final[:2] - state.xy)
        w_floor = 1.0 - smoothstep(window(s, 0.45, 1.0))  # lower onto the seat once above it
        n = len(sel)
        self._write(track, sel, pose, R, xy, w_floor, torch.full((n,), float(final[2])), state)
        return replace(state, pose=sit_pose.clone(), R=Rf, xy=final[:2].clone(), support="fixed",
                       z=float(final[2]), seat=t)

    def _seated(self, t, Rf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The sitting pose and root position on seat target ``t``: the buttocks on the seat point, legs chosen
        among a few knee/hip flexions to keep them out of furniture (e.g. a bar counter in front of a stool)."""
        from zerohsi.body.poses import PRESETS, articulate, seat_offset

        base = PRESETS["sitting"]
        options = [(hip, knee) for knee in (90.0, 105.0, 120.0, 135.0) for hip in (90.0, 75.0)]
        poses = []
        for hip, knee in options:
            angles = {k: dict(v) for k, v in base.items()}
            for sd in ("left", "right"):
                angles[f"{sd}_hip"] = {**angles.get(f"{sd}_hip", {}), "flex": hip}
                angles[f"{sd}_knee"] = {"flex": knee}
            neutral = self.params(self.presets["neutral"][None], Rf[None], torch.zeros(1, 3))
            poses.append(articulate(self.model, neutral, angles).body_pose[0].detach())
        P = torch.stack(poses)
        n = len(options)
        Rs = Rf.expand(n, 3, 3)
        seat = torch.tensor(t.point, dtype=torch.float32)
        transl = seat + seat_offset(self.model, self.params(P, Rs, torch.zeros(n, 3)))
        verts = self.forward(self.params(P, Rs, transl)).vertices.float()[:, ::4]  # a subset is enough to rank
        depth = (-self.scene.sdf(verts.reshape(-1, 3)).reshape(n, -1).clamp(max=0)).sum(1)
        # prefer the plain 90/90 sitting pose unless another one clearly penetrates less
        cost = depth + 1e-3 * torch.tensor([abs(k - 90) + abs(h - 90) for h, k in options])
        best = int(torch.argmin(cost))
        return P[best], transl[best]

    def _stand_up(self, step, state: _State, s, sel, track) -> _State:
        stand = self.presets["standing"]
        if state.seat is not None and state.seat.approach is not None:
            goal = torch.tensor(state.seat.approach, dtype=torch.float32)
        else:
            fwd = (state.R @ torch.tensor([0.0, -1.0, 0.0]))[:2]
            goal = state.xy + 0.3 * fwd
        R_end = state.R
        if float(state.R[2, 2]) < 0.9:  # getting up from lying: end upright, facing away from the bed
            d = goal - state.xy
            R_end = yaw_matrix(math.degrees(math.atan2(float(d[0]), -float(d[1]))))
        pose = slerp_pose(state.pose, stand, smoothstep(window(s, 0.05, 0.9)))
        R = slerp_rot(state.R, R_end, smoothstep(window(s, 0.0, 0.7)))
        xy = state.xy + min_jerk(window(s, 0.15, 0.8))[:, None] * (goal - state.xy)
        w_floor = smoothstep(window(s, 0.0, 0.6))
        n = len(sel)
        self._write(track, sel, pose, R, xy, w_floor, torch.full((n,), state.z), state)
        return replace(state, pose=stand.clone(), R=R_end, xy=goal, support="floor", seat=None)

    def _lie(self, step, state: _State, s, sel, track) -> _State:
        t = self.scene.target(step.get("target"))
        h = torch.tensor([math.cos(math.radians(t.facing_deg)), math.sin(math.radians(t.facing_deg)), 0.0])
        down = torch.tensor([0.0, 0.0, -1.0])
        # body up (+Z) along the head direction, body front (-Y) to the ceiling: lying on the back
        R_lie = torch.stack([torch.linalg.cross(down, h), down, h], -1)
        lie_pose = self.presets["neutral"]
        lift = self.params(lie_pose[None], R_lie[None], torch.zeros(1, 3))
        with torch.no_grad():
            verts = self.model(lift).vertices[0]
        z_final = float(t.point[2]) - float(verts[:, 2].min())
        centre_xy = verts[:, :2].mean(0)  # put the body's middle (not the pelvis) on the target point
        final_xy = torch.tensor(t.point[:2], dtype=torch.float32) - centre_xy
        sit_pose = self.presets["sitting"]
        w1, w2 = smoothstep(window(s, 0.0, 0.45)), smoothstep(window(s, 0.45, 1.0))
        pose = slerp_pose(slerp_pose(state.pose, sit_pose, w1), lie_pose, w2)
        R = slerp_rot(state.R, R_lie, smoothstep(window(s, 0.3, 1.0)))
        xy = state.xy + min_jerk(window(s, 0.1, 0.9))[:, None] * (final_xy - state.xy)
        n = len(sel)
        self._write(track, sel, pose, R, xy, 1.0 - smoothstep(window(s, 0.2, 0.8)), torch.full((n,), z_final),
                    state)
        return replace(state, pose=lie_pose.clone(), R=R_lie, xy=final_xy, support="fixed", z=z_final, seat=t)

    def _arm_angles(self, side: str, pose: torch.Tensor, R: torch.Tensor, xy: torch.Tensor,
                    point: torch.Tensor) -> dict[str, dict[str, float]]:
        """Shoulder/elbow angles that point one arm from its shoulder at a world point."""
        z = self.floor_z(pose[None], R[None])
        out = self.forward(self.params(pose[None], R[None], torch.cat([xy, z]).reshape(1, 3)))
        shoulder = out.joints[0, self.joint[f"{side}_shoulder"]]
        d = R.T @ (point - shoulder)  # body frame: left +X, forward -Y, up +Z
        lateral = float(d[0]) * (1.0 if side == "left" else -1.0)
        flex = math.degrees(math.atan2(-float(d[1]), -float(d[2])))
        abduct = math.degrees(math.atan2(lateral, math.hypot(float(d[1]), float(d[2]))))
        return {f"{side}_shoulder": {"flex": max(min(flex, 175.0), -40.0), "abduct": max(min(abduct, 90), -10)},
                f"{side}_elbow": {"flex": 5.0}}

    def _reach(self, step, state: _State, s, sel, track) -> _State:
        from zerohsi.body.poses import articulate

        point = (torch.tensor(step.get("point"), dtype=torch.float32) if step.get("point") is not None
                 else self.location(step.get("target"), stand=False))
        sides = ["left", "right"] if step.get("hand") == "both" else [step.get("hand")]
        angles: dict[str, dict[str, float]] = {}
        for side in sides:
            angles.update(self._arm_angles(side, state.pose, state.R, state.xy, point))
        reach_pose = articulate(self.model, self.params(state.pose[None], state.R[None], torch.zeros(1, 3)),
                                angles).body_pose[0]
        pose = slerp_pose(state.pose, reach_pose, smoothstep(window(s, 0.0, 0.6)))
        n = len(sel)
        self._write(track, sel, pose, state.R.expand(n, 3, 3), state.xy.expand(n, 2),
                    torch.full((n,), 1.0 if state.support == "floor" else 0.0), torch.full((n,), state.z), state)
        return replace(state, pose=reach_pose.detach())

    def _bend_family(self, hand: str, R: torch.Tensor, path: Sequence[torch.Tensor], want_z: float,
                     rel: Optional[torch.Tensor] = None, steps: int = 7):
        """Move along a path of key poses (per-joint slerp between consecutive ones) to bring the hands (or, with
        ``rel``, the held object's origin) to height ``want_z`` with the feet on the floor. Returns (pose (P,),
        xy (2,) of that point relative to the root, the hand frame (4,4) for the root at the origin)."""
        w = torch.linspace(0, 1, steps)
        poses = torch.cat([slerp_pose(a, b, w if i == 0 else w[1:]) for i, (a, b) in enumerate(zip(
            path[:-1], path[1:], strict=True))])
        n = poses.shape[0]
        Rs = R.expand(n, 3, 3)
        z = self.floor_z(poses, Rs)
        out = self.forward(self.params(poses, Rs, torch.stack([torch.zeros(n), torch.zeros(n), z], -1)))
        frames = make_transform(Rs, self.hands(out.joints.float(), hand))
        pts = frames[:, :3, 3] if rel is None else (frames @ rel)[:, :3, 3]
        k = int(torch.argmin((pts[:, 2] - want_z).abs()))
        # refine between the best sample and its neighbour on the other side of the wanted height
        for j in (k - 1, k + 1):
            if 0 <= j < n and (pts[k, 2] - want_z) * (pts[j, 2] - want_z) < 0:
                f = float((want_z - pts[k, 2]) / (pts[j, 2] - pts[k, 2]))
                pose = slerp_pose(poses[k], poses[j], torch.tensor([f]))[0]
                break
        else:
            pose = poses[k]
        z1 = self.floor_z(pose[None], R[None])
        o1 = self.forward(self.params(pose[None], R[None], torch.cat([torch.zeros(2), z1]).reshape(1, 3)))
        H = make_transform(R, self.hands(o1.joints.float(), hand)[0])
        point = H[:3, 3] if rel is None else (H @ rel)[:3, 3]
        return pose, point[:2], H

    def _deep_reach(self) -> torch.Tensor:
        """A squat with the back bent and the arms reaching down: hands close to the floor."""
        from zerohsi.body.poses import PRESETS, articulate

        angles = {k: dict(v) for k, v in PRESETS["crouch"].items()}
        angles.update({"spine": {"flex": 40.0}, "chest": {"flex": 25.0}, "neck": {"flex": -10.0},
                       "left_shoulder": {"flex": 70.0, "abduct": 5.0}, "right_shoulder": {"flex": 70.0, "abduct": 5.0},
                       "left_elbow": {"flex": 5.0}, "right_elbow": {"flex": 5.0}})
        base = self.params(self.presets["neutral"][None], torch.eye(3)[None], torch.zeros(1, 3))
        return articulate(self.model, base, angles).body_pose[0].detach()

    def _pick_up(self, step, state: _State, s, sel, track) -> _State:
        if state.obj is None:
            raise UserError("pick_up needs an object in the instance.")
        hand = step.get("hand")
        regions = step.get("region")
        target = self.region_points(regions, state.obj)
        d = target[:2] - state.xy
        yaw = math.degrees(math.atan2(float(d[0]), -float(d[1]))) if float(d.norm()) > 0.05 else body_yaw_of(state.R)
        Rf = yaw_matrix(yaw)
        reach = self._both_arms_forward() if hand == "both" else self.presets["standing"]
        path = [reach, self.presets["pick_up"], self._deep_reach()]
        grasp_pose, off, H = self._bend_family(hand, Rf, path, float(target[2]))
        root_xy = target[:2] - off
        # the object ends just off its support: the hands rise PICKUP_RAISE_M along the same path
        carry, _, _ = self._bend_family(hand, Rf, path, float(target[2]) + PICKUP_RAISE_M)
        R = self._turn(state, yaw, s, 0.0, 0.3)
        xy = state.xy + min_jerk(window(s, 0.0, 0.55))[:, None] * (root_xy - state.xy)
        pose = slerp_pose(slerp_pose(state.pose, grasp_pose, smoothstep(window(s, 0.05, 0.55))), carry,
                          smoothstep(window(s, 0.6, 1.0)))
        n = len(sel)
        grasp = s >= 0.55
        self._write(track, sel, pose, R, xy, torch.ones(n), torch.zeros(n), state)
        if track.obj is not None:
            track.held[sel] = grasp
            for k, g in zip(sel.tolist(), grasp.tolist(), strict=True):
                track.hand[k] = hand if g else None
            if bool(grasp.any()):
                track.events.append((int(sel[grasp][0]), "grasp"))
        H_world = H.clone()
        H_world[:2, 3] += root_xy
        return replace(state, pose=carry.clone(), R=Rf, xy=root_xy, support="floor", holding=hand, hold_pose=carry,
                       rel=invert_transform(H_world) @ state.obj, obj=None)

    def _both_arms_forward(self) -> torch.Tensor:
        from zerohsi.body.poses import articulate

        base = self.params(self.presets["standing"][None], torch.eye(3)[None], torch.zeros(1, 3))
        angles = {f"{sd}_shoulder": {"flex": 60.0, "abduct": 5.0} for sd in ("left", "right")}
        angles.update({f"{sd}_elbow": {"flex": 10.0} for sd in ("left", "right")})
        return articulate(self.model, base, angles).body_pose[0].detach()

    def _put_down(self, step, state: _State, s, sel, track) -> _State:
        if state.holding is None or state.rel is None:
            raise UserError("put_down must come after pick_up.")
        loc = step.get("target")
        if isinstance(loc, str) and loc != "floor":
            t = self.scene.target(loc)
            goal = torch.tensor(t.point, dtype=torch.float32)
        elif loc == "floor":
            fwd = (state.R @ torch.tensor([0.0, -1.0, 0.0]))[:2]
            goal = torch.cat([state.xy + REACH_DISTANCE_M * fwd, torch.tensor([self.floor])])
        else:
            goal = self.location(loc, stand=False)
        d = goal[:2] - state.xy
        yaw = math.degrees(math.atan2(float(d[0]), -float(d[1]))) if float(d.norm()) > 0.05 else body_yaw_of(state.R)
        Rf = yaw_matrix(yaw)
        rel = state.rel
        path = [state.hold_pose, self.presets["pick_up"], self._deep_reach()]
        place_pose, off, _ = self._bend_family(state.holding, Rf, path, float(goal[2]), rel=rel)
        root_xy = goal[:2] - off
        R = self._turn(state, yaw, s, 0.0, 0.3)
        xy = state.xy + min_jerk(window(s, 0.0, 0.55))[:, None] * (root_xy - state.xy)
        stand = self.presets["standing"]
        pose = slerp_pose(slerp_pose(state.pose, place_pose, smoothstep(window(s, 0.0, 0.6))), stand,
                          smoothstep(window(s, 0.65, 1.0)))
        n = len(sel)
        released = s >= 0.6
        self._write(track, sel, pose, R, xy, torch.ones(n), torch.zeros(n), state)
        if track.obj is not None:
            track.held[sel] = ~released
            for k, r in zip(sel.tolist(), released.tolist(), strict=True):
                track.hand[k] = None if r else state.holding
            rel_idx = sel[released]
            if len(rel_idx):
                track.events.append((int(rel_idx[0]), f"release:{float(goal[2]):.4f}"))
        return replace(state, pose=stand.clone(), R=Rf, xy=root_xy, holding=None, hold_pose=None, rel=None,
                       obj=self._placed_pose(goal, Rf, rel, root_xy, place_pose, state.holding))

    def _placed_pose(self, goal, Rf, rel, root_xy, place_pose, hand) -> torch.Tensor:
        """Planning estimate of where a put-down object rests (the assembled motion settles it exactly)."""
        z = self.floor_z(place_pose[None], Rf[None])
        out = self.forward(self.params(place_pose[None], Rf[None], torch.cat([root_xy, z]).reshape(1, 3)))
        P = make_transform(Rf, self.hands(out.joints.float(), hand)[0]) @ rel
        yaw = math.degrees(math.atan2(float(P[1, 0]), float(P[0, 0])))
        return make_transform(yaw_matrix(yaw), torch.tensor([float(P[0, 3]), float(P[1, 3]), float(goal[2])]))

    def _lift(self, step, state: _State, s, sel, track) -> _State:
        from zerohsi.body.poses import articulate

        if state.holding is None or state.rel is None:
            raise UserError("lift must come after pick_up.")
        base = self.params(state.hold_pose[None], torch.eye(3)[None], torch.zeros(1, 3))
        up = articulate(self.model, base, {**{f"{sd}_shoulder": {"flex": 170.0, "abduct": 10.0}
                                               for sd in ("left", "right")},
                                            **{f"{sd}_elbow": {"flex": 10.0} for sd in ("left", "right")}}
                        ).body_pose[0].detach()
        want = self.floor + float(step.get("height_m"))
        # hands rise as the arms swing up: search the family from the carry pose to arms overhead
        path = [state.hold_pose, self.presets["pick_up"], self._both_arms_forward(), up]
        lift_pose, _, _ = self._bend_family(state.holding, state.R, path, want, rel=state.rel)
        pose = slerp_pose(state.pose, lift_pose, smoothstep(window(s, 0.0, 0.85)))
        n = len(sel)
        self._write(track, sel, pose, state.R.expand(n, 3, 3), state.xy.expand(n, 2), torch.ones(n), torch.zeros(n),
                    state)
        return replace(state, pose=lift_pose, hold_pose=lift_pose)

    def _push(self, step, state: _State, s, sel, track) -> _State:
        if state.obj is None:
            raise UserError("push needs an object that is not held.")
        to = self.location(step.get("to"), stand=False)
        obj0 = state.obj
        delta = to[:2] - obj0[:2, 3]
        dist = float(delta.norm())
        yaw = math.degrees(math.atan2(float(delta[0]), -float(delta[1]))) if dist > 0.05 else body_yaw_of(state.R)
        Rf = yaw_matrix(yaw)
        push_pose = self.presets["push"]
        regions = step.get("region") or (list(self.obj.contact_regions) if self.obj is not None else [])
        handle = self.region_points(regions, obj0) if regions else obj0[:3, 3]
        z = self.floor_z(push_pose[None], Rf[None])
        out = self.forward(self.params(push_pose[None], Rf[None], torch.cat([torch.zeros(2), z]).reshape(1, 3)))
        off = self.hands(out.joints.float(), "both")[0, :2]
        start_xy = handle[:2] - off
        # approach the handles (first 20%), then walk with the object
        n = len(sel)
        u = window(s, 0.2, 1.0)
        prog = min_jerk(u)
        obj = obj0.expand(n, 4, 4).clone()
        obj[:, :2, 3] = obj0[:2, 3] + prog[:, None] * delta
        xy_a = state.xy + min_jerk(window(s, 0.0, 0.2))[:, None] * (start_xy - state.xy)
        xy = torch.where((s < 0.2)[:, None], xy_a, start_xy + prog[:, None] * delta)
        R = self._turn(state, yaw, s, 0.0, 0.2)
        from zerohsi.body.poses import walk_pose

        speed = 16.0 * u ** 2 * (1 - u) ** 2
        gait = walk_pose(self.model, prog * dist / STRIDE_M, amplitude=1.0).body_pose.detach().float()
        base = slerp_pose(state.pose, push_pose, smoothstep(window(s, 0.0, 0.2)))
        pose = self.with_upper(slerp_pose(base, gait, speed.clamp(0, 1) * (dist > 0.05)), push_pose)
        self._write(track, sel, pose, R, xy, torch.ones(n), torch.zeros(n), state)
        if track.obj is not None:
            track.obj[sel] = obj
            track.held[sel] = False
            track.moved[sel] = True
        end_obj = obj0.clone()
        end_obj[:2, 3] = to[:2]
        return replace(state, pose=push_pose.clone(), R=Rf, xy=start_xy + delta, obj=end_obj)

    # -- assembling -----------------------------------------------------------------------------------------------
    def _finish(self, track: _Track, fps: float, camera_fn, program) -> Motion:
        T = track.pose.shape[0]
        z_floor = self.floor_z(track.pose, track.R)
        z = track.w_floor * z_floor + (1 - track.w_floor) * track.z_fixed
        transl = torch.cat([track.xy, z[:, None]], -1)
        params = self.params(track.pose, track.R, transl)
        objects = None
        if track.obj is not None:
            objects = track.obj.clone()
            out = self.forward(params)
            joints = out.joints.float()
            rel = None
            for k in range(T):
                if track.held[k]:
                    H = make_transform(track.R[k], self.hands(joints[k:k + 1], track.hand[k])[0])
                    if rel is None:  # the grasp frame: attach where the object is, so it never jumps
                        rel = invert_transform(H) @ (objects[k - 1] if k > 0 else track.obj[k])
                    objects[k] = H @ rel
                elif rel is not None:  # released: it rests where the hands left it, upright on its base
                    settled = _settle(objects[k - 1], track, k)
                    j = k
                    while j < T and not track.held[j] and not track.moved[j]:
                        objects[j] = settled
                        j += 1
                    rel = None
        K = wtc = size = None
        if camera_fn is not None:
            cams = [camera_fn(k) for k in range(T)]
            K = torch.stack([c.K for c in cams]).float()
            wtc = torch.stack([c.world_to_cam for c in cams]).float()
            size = (cams[0].width, cams[0].height)
        prov = {"source": "scripted program (test signal)", "program": [st.as_dict() for st in program],
                "events": track.events}
        return Motion(params.detach(), getattr(self.model, "name", "unknown"), float(fps), objects, K, wtc, size,
                      prov)


def _settle(held_pose: torch.Tensor, track: _Track, k: int) -> torch.Tensor:
    """The pose an object released at frame k keeps: upright (yaw kept) with its base at the release height."""
    ev = [e for e in track.events if e[0] == k and str(e[1]).startswith("release:")]
    yaw = math.atan2(float(held_pose[1, 0]), float(held_pose[0, 0]))
    out = make_transform(yaw_matrix(math.degrees(yaw)), held_pose[:3, 3].clone())
    if ev:
        out[2, 3] = float(str(ev[0][1]).split(":")[1])
    return out
