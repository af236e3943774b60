"""Joint-name maps from other skeletons onto zerohsi's CORE_JOINTS: SMPL, SMPL-X, and the BVH conventions seen in
the wild (CMU, Mixamo, SMPL-like, zerohsi's own anny export)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Optional

import numpy as np

from zerohsi.errors import UserError

#: the 24 SMPL joints, in SMPL's order
SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle", "right_ankle",
    "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand", "right_hand",
)

_HAND = ("index1", "index2", "index3", "middle1", "middle2", "middle3", "pinky1", "pinky2", "pinky3", "ring1",
         "ring2", "ring3", "thumb1", "thumb2", "thumb3")
#: the first 55 SMPL-X joints (body 22, jaw, eyes, 15 per hand), in SMPL-X's order
SMPLX_JOINT_NAMES: tuple[str, ...] = (
    SMPL_JOINT_NAMES[:22] + ("jaw", "left_eye_smplhf", "right_eye_smplhf")
    + tuple(f"left_{h}" for h in _HAND) + tuple(f"right_{h}" for h in _HAND)
)

_SMPL_COMMON = {
    "pelvis": "pelvis", "left_hip": "left_hip", "right_hip": "right_hip", "spine": "spine1", "chest": "spine3",
    "left_knee": "left_knee", "right_knee": "right_knee", "left_ankle": "left_ankle", "right_ankle": "right_ankle",
    "left_foot": "left_foot", "right_foot": "right_foot", "neck": "neck", "head": "head",
    "left_shoulder": "left_shoulder", "right_shoulder": "right_shoulder", "left_elbow": "left_elbow",
    "right_elbow": "right_elbow", "left_wrist": "left_wrist", "right_wrist": "right_wrist",
}
#: CORE_JOINTS name -> SMPL joint name
SMPL_TO_CORE: dict[str, str] = {**_SMPL_COMMON, "left_hand": "left_hand", "right_hand": "right_hand"}
#: CORE_JOINTS name -> SMPL-X joint name (the hand point is the middle-finger base, as CHOIS's contact uses)
SMPLX_TO_CORE: dict[str, str] = {**_SMPL_COMMON, "left_hand": "left_middle1", "right_hand": "right_middle1"}


def core_index(joint_names: Sequence[str], core_to_name: dict[str, str]) -> dict[str, int]:
    """CORE name -> index into ``joint_names`` for every core joint the map names and the skeleton has."""
    pos = {n: i for i, n in enumerate(joint_names)}
    return {core: pos[name] for core, name in core_to_name.items() if name in pos}


# -- BVH skeletons ------------------------------------------------------------------------------------------------
# Exact-name conventions: skeletons whose names say precisely which joint is which (anny's own export, SMPL names).
_SIDES = {"left": ("Left", "L"), "right": ("Right", "R")}
_BVH_BASE: dict[str, dict[str, str]] = {
    "smpl": {"pelvis": "Pelvis", "spine": "Spine1", "chest": "Spine3", "neck": "Neck", "head": "Head",
             "{S}_hip": "{L}_Hip", "{S}_knee": "{L}_Knee", "{S}_ankle": "{L}_Ankle", "{S}_foot": "{L}_Foot",
             "{S}_shoulder": "{L}_Shoulder", "{S}_elbow": "{L}_Elbow", "{S}_wrist": "{L}_Wrist",
             "{S}_hand": "{L}_Hand"},
    "smpl_long": {"pelvis": "pelvis", "spine": "spine1", "chest": "spine3", "neck": "neck", "head": "head",
                  "{S}_hip": "{s}_hip", "{S}_knee": "{s}_knee", "{S}_ankle": "{s}_ankle", "{S}_foot": "{s}_foot",
                  "{S}_shoulder": "{s}_shoulder", "{S}_elbow": "{s}_elbow", "{S}_wrist": "{s}_wrist",
                  "{S}_hand": "{s}_hand"},
    # the CMU mocap skeleton's own (ASF) bone names, as in BVH files converted straight from ASF/AMC; a BVH joint
    # sits at the start of the ASF bone of its name
    "cmu_asf": {"pelvis": "root", "spine": "upperback", "chest": "thorax", "neck": "lowerneck", "head": "head",
                "{S}_hip": "{l}femur", "{S}_knee": "{l}tibia", "{S}_ankle": "{l}foot", "{S}_foot": "{l}toes",
                "{S}_shoulder": "{l}humerus", "{S}_elbow": "{l}radius", "{S}_wrist": "{l}wrist",
                "{S}_hand": "{l}hand"},
}


def _expand(base: dict[str, str]) -> dict[str, str]:
    out = {}
    for core, name in base.items():
        if "{S}" not in core:
            out[core] = name
            continue
        for side, (long, short) in _SIDES.items():
            out[core.replace("{S}", side)] = name.format(Side=long, L=short, s=side, l=short.lower())
    return out


BVH_MAPS: dict[str, dict[str, str]] = {k: _expand(v) for k, v in _BVH_BASE.items()}
# zerohsi's own BVH export of an anny body keeps anny's bone names
BVH_MAPS["anny"] = {}  # filled lazily from zerohsi.body.anny_model.ANNY_CORE_BONES (avoids importing it here)

# Name-pattern matching for the many rigs named by body part (MotionBuilder/CMU-BVH, Mixamo, Biovision, Daz, Kinect
# and their variants): a joint's name is split into a side (left/right, as a word or an L/R letter) and a stem; each
# core joint takes the first stem of its list that the skeleton has on that side, skipping joints already taken and
# joints sitting on a taken one (rigs add zero-length joints such as CMU's Neck on top of Spine1). Order matters:
# "Foot" is the ankle in Mixamo but the ball of the foot in SMPL, so the ankle claims "ankle" before "foot", and the
# ball of the foot then takes what is left.
_LIMB_STEMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hip", ("upleg", "upperleg", "thigh", "femur", "hip", "legupper")),
    ("knee", ("leg", "lowleg", "lowerleg", "loleg", "shin", "knee", "calf", "tibia", "leglower")),
    ("ankle", ("ankle", "foot")),
    ("foot", ("toebase", "toe", "toes", "ball", "foot")),
    ("shoulder", ("arm", "uparm", "upperarm", "humerus", "shldr", "shoulder", "armupper")),
    ("elbow", ("forearm", "lowarm", "lowerarm", "loarm", "elbow", "radius", "armlower")),
    ("wrist", ("wrist", "hand")),
    ("hand", ("fingerbase", "handmiddle1", "middle1", "mid1", "fingers", "handindex1", "index1", "hand")),
)
_PELVIS_STEMS = ("hips", "pelvis", "hip", "hipcenter", "hipscenter", "spinebase", "root")
_NECK_STEMS = ("neck", "neck1", "lowerneck", "neck01", "spineshoulder")
_HEAD_STEMS = ("head",)
#: where SMPL-like spine and chest joints sit along the pelvis-to-neck segment (fractions; anny's spine03 and
#: spine01 sit at 0.27 and 0.68, SMPL's spine1 and spine3 at 0.22 and 0.57)
SPINE_FRACTION, CHEST_FRACTION = 0.25, 0.65
_ALL_STEMS = {s for _, stems in _LIMB_STEMS for s in stems}
_SEP = r"[ _.\-]"


def normalise_bvh_name(name: str) -> str:
    """Drop namespace prefixes ('mixamorig:', 'Armature|') and compare case-insensitively."""
    return re.split(r"[:|]", name)[-1].strip().lower()


def split_side(name: str) -> tuple[str, str]:
    """('left' | 'right' | '', stem without separators) of a joint name: 'LeftUpLeg' -> ('left', 'upleg'),
    'mixamorig:RightHand' -> ('right', 'hand'), 'L_Knee' -> ('left', 'knee'), 'lfemur' -> ('left', 'femur'),
    'HipLeft' -> ('left', 'hip'), 'upperarm01.R' -> ('right', 'upperarm01'), 'Spine1' -> ('', 'spine1')."""
    n = normalise_bvh_name(name)
    side, stem = "", n
    for pattern in (rf"^(left|right){_SEP}?(.+)$", rf"^(.+?){_SEP}?(left|right)$", rf"^(l|r){_SEP}(.+)$",
                    rf"^(.+){_SEP}(l|r)$"):
        m = re.match(pattern, n)
        if m:
            a, b = m.groups()
            side, stem = (a, b) if a in ("left", "right", "l", "r") else (b, a)
            break
    else:
        # a bare L/R letter glued to a known stem: 'LThumb', 'lfemur', 'RHipJoint' (but not 'leg' or 'root')
        m = re.match(r"^(l|r)(.+)$", n)
        if m and (m.group(2) in _ALL_STEMS or m.group(2) in ("hipjoint", "thumb", "fingers", "clavicle",
                                                              "collar", "femur", "tibia", "humerus", "radius")):
            side, stem = m.groups()
    side = {"l": "left", "r": "right"}.get(side, side)
    return side, re.sub(_SEP, "", stem)


def match_by_stems(joint_names: Sequence[str], parents: Optional[Sequence[int]] = None,
                   rest: Optional[np.ndarray] = None) -> dict[str, int]:
    """CORE name -> joint index by name patterns (see above) and, for spine and chest, by where the joints sit
    along the chain from the pelvis to the neck. ``rest`` (J,3) rest-pose positions, any unit and axes; without
    the skeleton (names only) the spine joints are placed by their order in the file."""
    geometry = parents is not None and rest is not None
    rest = np.asarray(rest, dtype=np.float64) if geometry else np.zeros((len(joint_names), 3))
    if not geometry:
        parents = [-1] + [0] * (len(joint_names) - 1)
    by_side: dict[tuple[str, str], list[int]] = {}
    for i, name in enumerate(joint_names):
        if name.lower().endswith("_end"):
            continue  # end sites carry no rotation
        by_side.setdefault(split_side(name), []).append(i)
    size = float(np.linalg.norm(rest.max(0) - rest.min(0))) or 1.0
    taken: dict[str, int] = {}

    def pick(side: str, stems: Sequence[str]) -> Optional[int]:
        for stem in stems:
            for i in by_side.get((side, stem), []):
                if i in taken.values():
                    continue
                if geometry and (any(np.linalg.norm(rest[i] - rest[j]) < 0.01 * size for j in taken.values())
                                 or (parents[i] >= 0 and np.linalg.norm(rest[i] - rest[parents[i]]) < 0.01 * size)):
                    continue  # a zero-length helper joint (on its parent, or on a joint already used)
                return i
        return None

    roots = [i for i, p in enumerate(parents) if p < 0]
    pelvis = pick("", _PELVIS_STEMS)
    if pelvis is None and roots:
        pelvis = roots[0]
    if pelvis is not None:
        taken["pelvis"] = pelvis
    for part, stems in _LIMB_STEMS:
        for side in ("left", "right"):
            i = pick(side, stems)
            if i is not None:
                taken[f"{side}_{part}"] = i
    for core, stems in (("neck", _NECK_STEMS), ("head", _HEAD_STEMS)):
        i = pick("", stems)
        if i is not None:
            taken[core] = i
    top = taken.get("neck", taken.get("head"))
    if geometry and pelvis is not None and top is not None:
        taken.update(_spine_and_chest(parents, rest, pelvis, top, size, set(taken.values())))
    elif not geometry:
        spine = [i for i, n in enumerate(joint_names) if i not in taken.values()
                 and re.match(r"^(spine|chest|abdomen|upperback|thorax|torso)", normalise_bvh_name(n))]
        cand = [((k + 1) / (len(spine) + 1), i) for k, i in enumerate(spine)]
        taken.update(_pick_fractions(cand))
    return taken


def _pick_fractions(cand: list[tuple[float, int]]) -> dict[str, int]:
    """spine and chest from (fraction along pelvis->neck, joint) candidates; a lone joint serves the nearer one."""
    if len(cand) == 1:
        f, c = cand[0]
        return {"spine" if abs(f - SPINE_FRACTION) <= abs(f - CHEST_FRACTION) else "chest": c}
    out: dict[str, int] = {}
    for core, frac in (("spine", SPINE_FRACTION), ("chest", CHEST_FRACTION)):
        free = [(abs(f - frac), c) for f, c in cand if c not in out.values()]
        if free:
            out[core] = min(free)[1]
    return out


def _spine_and_chest(parents: Sequence[int], rest: np.ndarray, pelvis: int, top: int, size: float,
                     used: set[int]) -> dict[str, int]:
    chain, j = [], int(parents[top])
    while j >= 0 and j != pelvis:
        chain.append(j)
        j = int(parents[j])
    if j != pelvis:
        return {}
    axis = rest[top] - rest[pelvis]
    length2 = float(axis @ axis)
    if length2 <= 0:
        return {}
    cand = [(float((rest[c] - rest[pelvis]) @ axis) / length2, c) for c in reversed(chain)
            if c not in used and np.linalg.norm(rest[c] - rest[pelvis]) > 0.01 * size]
    return _pick_fractions(cand)


def rig_family(joint_names: Sequence[str]) -> str:
    """A label for the report: which family of rigs the names look like."""
    norm = {normalise_bvh_name(n) for n in joint_names}
    if any("mixamo" in n.lower() for n in joint_names) or {"spine2", "lefthandmiddle1"} & norm:
        return "mixamo"
    if {"lowerback", "lhipjoint", "spine1", "leftupleg"} & norm:
        return "cmu"
    if {"chest", "leftcollar", "rightcollar", "leftuparm"} & norm:
        return "biovision"
    if {"abdomen", "lshldr", "lthigh"} & norm:
        return "daz"
    return "generic"


#: conventions accepted by --convention ("auto" tries them all and the name matcher)
CONVENTIONS = ("auto", "names", "smpl", "smpl_long", "cmu_asf", "anny")
#: rig families the name matcher covers, accepted as --convention values for them
_ALIASES = {"cmu": "names", "mixamo": "names", "biovision": "names", "daz": "names", "generic": "names"}


def bvh_core_map(joint_names: Sequence[str], convention: str = "auto", *, parents: Optional[Sequence[int]] = None,
                 rest: Optional[np.ndarray] = None) -> tuple[str, dict[str, int]]:
    """(convention, CORE name -> index into ``joint_names``) for a BVH skeleton.

    "auto" takes whichever of the exact-name conventions and the name matcher ("names", which needs ``parents``
    and ``rest``, the skeleton's (J,3) rest positions) names the most core joints, exact names winning ties.
    Raises UserError when fewer than 6 core joints can be found.
    """
    from zerohsi.body.anny_model import ANNY_CORE_BONES

    convention = _ALIASES.get(convention, convention)
    if convention not in CONVENTIONS:
        raise UserError(f"Unknown skeleton convention '{convention}'; use one of {', '.join(CONVENTIONS)}, or "
                        "--joint-map FILE.")
    BVH_MAPS["anny"] = dict(ANNY_CORE_BONES)
    norm = {normalise_bvh_name(n): i for i, n in enumerate(joint_names)}
    results: list[tuple[str, dict[str, int]]] = []
    for conv, mapping in BVH_MAPS.items():
        if convention in ("auto", conv):
            results.append((conv, {core: norm[n.lower()] for core, n in mapping.items() if n.lower() in norm}))
    if convention in ("auto", "names"):
        found = match_by_stems(joint_names, parents, rest)
        results.append((rig_family(joint_names) if convention == "auto" else "names", found))
    best = max(results, key=lambda r: len(r[1]), default=("", {}))
    if len(best[1]) < 6:
        raise UserError("Could not map this BVH skeleton's joint names onto a body's joints (found "
                        f"{len(best[1])} of the 21 it looks for); pass --joint-map FILE, a JSON or YAML table of "
                        "BVH joint name -> zerohsi joint (pelvis, left_hip, left_knee, ...).")
    return best


def load_joint_map(path: str, joint_names: Sequence[str]) -> dict[str, int]:
    """CORE name -> joint index from a user's JSON/YAML table {BVH joint name: CORE joint name}."""
    import json

    from zerohsi.body.params import CORE_JOINTS

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise UserError(f"Cannot read the joint map '{path}' ({exc.strerror}); check the path.") from None
    try:
        table = json.loads(text) if str(path).lower().endswith(".json") else _yaml(text)
    except ValueError as exc:
        raise UserError(f"The joint map '{path}' is not valid JSON/YAML ({str(exc).splitlines()[0]}).") from None
    if not isinstance(table, dict) or not table:
        raise UserError(f"The joint map '{path}' must be a table of BVH joint name -> zerohsi joint name.")
    index = {n: i for i, n in enumerate(joint_names)}
    out: dict[str, int] = {}
    for bvh_name, core in table.items():
        if str(bvh_name) not in index:
            raise UserError(f"The joint map names '{bvh_name}', which this BVH file does not have (it has "
                            f"{', '.join(list(index)[:8])}, ...).")
        if core not in CORE_JOINTS:
            raise UserError(f"The joint map maps '{bvh_name}' to '{core}', which is not one of "
                            f"{', '.join(CORE_JOINTS)}.")
        if core in out:
            raise UserError(f"The joint map maps two BVH joints onto '{core}'; keep one.")
        out[core] = index[str(bvh_name)]
    return out


def _yaml(text: str):
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None
