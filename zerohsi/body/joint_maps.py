"""Joint-name maps from other skeletons onto zerohsi's CORE_JOINTS: SMPL, SMPL-X, and the BVH conventions seen in
the wild (CMU, Mixamo, SMPL-like, zerohsi's own anny export)."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


# -- BVH conventions ----------------------------------------------------------------------------------------------
_SIDES = {"left": ("Left", "L"), "right": ("Right", "R")}

#: convention -> CORE name -> joint name (sides expanded below; names compared after normalise_bvh_name)
_BVH_BASE: dict[str, dict[str, str]] = {
    "cmu": {"pelvis": "Hips", "spine": "Spine", "chest": "Spine1", "neck": "Neck", "head": "Head",
            "{S}_hip": "{Side}UpLeg", "{S}_knee": "{Side}Leg", "{S}_ankle": "{Side}Foot", "{S}_foot": "{Side}ToeBase",
            "{S}_shoulder": "{Side}Arm", "{S}_elbow": "{Side}ForeArm", "{S}_wrist": "{Side}Hand",
            "{S}_hand": "{Side}FingerBase"},
    "mixamo": {"pelvis": "Hips", "spine": "Spine", "chest": "Spine2", "neck": "Neck", "head": "Head",
               "{S}_hip": "{Side}UpLeg", "{S}_knee": "{Side}Leg", "{S}_ankle": "{Side}Foot",
               "{S}_foot": "{Side}ToeBase", "{S}_shoulder": "{Side}Arm", "{S}_elbow": "{Side}ForeArm",
               "{S}_wrist": "{Side}Hand", "{S}_hand": "{Side}HandMiddle1"},
    "smpl": {"pelvis": "Pelvis", "spine": "Spine1", "chest": "Spine3", "neck": "Neck", "head": "Head",
             "{S}_hip": "{L}_Hip", "{S}_knee": "{L}_Knee", "{S}_ankle": "{L}_Ankle", "{S}_foot": "{L}_Foot",
             "{S}_shoulder": "{L}_Shoulder", "{S}_elbow": "{L}_Elbow", "{S}_wrist": "{L}_Wrist",
             "{S}_hand": "{L}_Hand"},
    "smpl_long": {"pelvis": "pelvis", "spine": "spine1", "chest": "spine3", "neck": "neck", "head": "head",
                  "{S}_hip": "{s}_hip", "{S}_knee": "{s}_knee", "{S}_ankle": "{s}_ankle", "{S}_foot": "{s}_foot",
                  "{S}_shoulder": "{s}_shoulder", "{S}_elbow": "{s}_elbow", "{S}_wrist": "{s}_wrist",
                  "{S}_hand": "{s}_hand"},
}


def _expand(base: dict[str, str]) -> dict[str, str]:
    out = {}
    for core, name in base.items():
        if "{S}" not in core:
            out[core] = name
            continue
        for side, (long, short) in _SIDES.items():
            out[core.replace("{S}", side)] = name.format(Side=long, L=short, s=side)
    return out


BVH_MAPS: dict[str, dict[str, str]] = {k: _expand(v) for k, v in _BVH_BASE.items()}
# zerohsi's own BVH export of an anny body keeps anny's bone names
BVH_MAPS["anny"] = {}  # filled lazily from zerohsi.body.anny_model.ANNY_CORE_BONES (avoids importing it here)


def normalise_bvh_name(name: str) -> str:
    """Drop namespace prefixes ('mixamorig:', 'Armature|') and compare case-insensitively."""
    return re.split(r"[:|]", name)[-1].strip().lower()


def bvh_core_map(joint_names: Sequence[str], convention: str = "auto") -> tuple[str, dict[str, int]]:
    """(convention, CORE name -> index into ``joint_names``) for a BVH skeleton; "auto" picks the convention that
    names the most core joints. Raises UserError when fewer than 6 core joints can be found."""
    from zerohsi.body.anny_model import ANNY_CORE_BONES

    BVH_MAPS["anny"] = dict(ANNY_CORE_BONES)
    norm = {normalise_bvh_name(n): i for i, n in enumerate(joint_names)}
    candidates = BVH_MAPS if convention == "auto" else {convention: BVH_MAPS.get(convention)}
    if convention != "auto" and candidates[convention] is None:
        raise UserError(f"Unknown skeleton convention '{convention}'; use auto or one of {', '.join(BVH_MAPS)}.")
    # CMU and Mixamo share most names; their spines tell them apart
    hint = {"mixamo": 0.5 if "spine2" in norm or any("mixamo" in n.lower() for n in joint_names) else 0.0,
            "cmu": 0.5 if "lowerback" in norm else 0.0}
    best: tuple[str, dict[str, int]] = ("", {})
    best_score = -1.0
    for conv, mapping in candidates.items():
        found = {core: norm[name.lower()] for core, name in mapping.items() if name.lower() in norm}
        score = len(found) + hint.get(conv, 0.0)
        if score > best_score:
            best, best_score = (conv, found), score
    if len(best[1]) < 6:
        raise UserError("Could not map this BVH skeleton's joint names onto a body (known conventions: "
                        f"{', '.join(BVH_MAPS)}); pass --convention or rename the joints.")
    return best
