"""Avatar appearance presets: colours assigned by body part so the offline avatar looks like a clothed person.

Body parts are found from any backend's skeleton: each bone belongs to the region of its nearest CORE_JOINTS
ancestor (itself included), each vertex to the region of its dominant skinning bone; the head region is split into
skin and hair by height and depth, and bones named like eyes give the eyes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from zerohsi.body.params import BodyModel
from zerohsi.errors import UserError

#: part ids used in Avatar.part
PARTS: tuple[str, ...] = ("skin", "hair", "top", "bottom", "shoes", "eyes")
SKIN, HAIR, TOP, BOTTOM, SHOES, EYES = range(len(PARTS))

Color = tuple[float, float, float]


@dataclass(frozen=True)
class Appearance:
    """Linear RGB-ish colours in [0,1] per part; ``long_sleeves``: forearms wear the top's colour; ``shorts``: the
    shins show skin."""

    skin: Color
    hair: Color
    top: Color
    bottom: Color
    shoes: Color
    eyes: Color = (0.12, 0.10, 0.09)
    long_sleeves: bool = False
    shorts: bool = False
    #: per-Gaussian colour jitter (std-dev) giving fabric/skin some texture
    jitter: float = 0.025

    def part_colors(self) -> torch.Tensor:
        """(len(PARTS),3) colour of each part."""
        return torch.tensor([self.skin, self.hair, self.top, self.bottom, self.shoes, self.eyes], dtype=torch.float32)


APPEARANCES: dict[str, Appearance] = {
    "casual": Appearance(skin=(0.86, 0.66, 0.53), hair=(0.23, 0.15, 0.09), top=(0.18, 0.38, 0.74),
                         bottom=(0.14, 0.19, 0.33), shoes=(0.88, 0.88, 0.86)),
    "formal": Appearance(skin=(0.55, 0.38, 0.26), hair=(0.06, 0.05, 0.05), top=(0.92, 0.92, 0.90),
                         bottom=(0.10, 0.10, 0.12), shoes=(0.05, 0.05, 0.05), long_sleeves=True),
    "sporty": Appearance(skin=(0.93, 0.76, 0.64), hair=(0.78, 0.63, 0.33), top=(0.80, 0.12, 0.12),
                         bottom=(0.08, 0.08, 0.09), shoes=(0.25, 0.25, 0.28), shorts=True),
    "warm": Appearance(skin=(0.40, 0.27, 0.19), hair=(0.04, 0.03, 0.03), top=(0.95, 0.55, 0.12),
                       bottom=(0.62, 0.55, 0.40), shoes=(0.35, 0.22, 0.12), long_sleeves=True),
    "clay": Appearance(skin=(0.72, 0.72, 0.72), hair=(0.72, 0.72, 0.72), top=(0.72, 0.72, 0.72),
                       bottom=(0.72, 0.72, 0.72), shoes=(0.72, 0.72, 0.72), eyes=(0.72, 0.72, 0.72), jitter=0.0),
}


def get_appearance(name: str) -> Appearance:
    if name not in APPEARANCES:
        raise UserError(f"Unknown avatar appearance '{name}'; choose one of {', '.join(sorted(APPEARANCES))}.")
    return APPEARANCES[name]


#: CORE_JOINTS region -> part, before the sleeves/shorts options
_REGION_PART = {
    "pelvis": BOTTOM, "left_hip": BOTTOM, "right_hip": BOTTOM, "left_knee": BOTTOM, "right_knee": BOTTOM,
    "left_ankle": SHOES, "right_ankle": SHOES, "left_foot": SHOES, "right_foot": SHOES,
    "spine": TOP, "chest": TOP, "left_shoulder": TOP, "right_shoulder": TOP, "left_elbow": SKIN, "right_elbow": SKIN,
    "neck": SKIN, "head": SKIN, "left_wrist": SKIN, "right_wrist": SKIN, "left_hand": SKIN, "right_hand": SKIN,
}


def bone_regions(model: BodyModel) -> list[str]:
    """For each bone of ``model``, the CORE_JOINTS name of its nearest core ancestor (itself included)."""
    core_of = {j: n for n, j in model.core_joint_index().items()}
    parents = [int(p) for p in model.parents]
    regions = []
    for j in range(len(parents)):
        k = j
        while k >= 0 and k not in core_of:
            k = parents[k]
        regions.append(core_of.get(k, "pelvis"))
    return regions


def vertex_parts(model: BodyModel, rest_vertices: torch.Tensor, appearance: Appearance) -> torch.Tensor:
    """(V,) part id of each vertex of the zero-pose mesh ``rest_vertices`` (V,3) (body frame: +Z up, facing -Y)."""
    regions = bone_regions(model)
    dominant = model.skinning_weights.argmax(1).cpu()
    region_of_vertex = [regions[j] for j in dominant.tolist()]
    part = torch.tensor([_REGION_PART[r] for r in region_of_vertex], dtype=torch.long)
    if appearance.long_sleeves:
        elbow = torch.tensor([r in ("left_elbow", "right_elbow") for r in region_of_vertex])
        part[elbow] = TOP
    if appearance.shorts:
        knee = torch.tensor([r in ("left_knee", "right_knee") for r in region_of_vertex])
        part[knee] = SKIN
    # hair: the top and back of the head region
    v = rest_vertices.detach().cpu().float()
    head_region = torch.tensor([r == "head" for r in region_of_vertex])
    if head_region.any():
        z_top = v[head_region, 2].max()
        y_face = v[head_region, 1].min()  # the face is the most -Y part of the head
        hz = v[head_region, 2]
        depth = v[head_region, 1] - y_face
        height = z_top - hz
        hair = (height < 0.05) | ((depth > 0.10) & (height < 0.17)) | ((depth > 0.13) & (height < 0.23))
        idx = torch.nonzero(head_region)[:, 0]
        part[idx[hair]] = HAIR
    names = list(model.joint_names)
    eye_bones = [j for j, n in enumerate(names) if "eye" in n.lower() and "brow" not in n.lower()
                 and "lid" not in n.lower()]
    if eye_bones:
        part[torch.isin(dominant, torch.tensor(eye_bones))] = EYES
    return part


def part_base_colors(parts: torch.Tensor, appearance: Appearance, generator: torch.Generator) -> torch.Tensor:
    """(N,) part ids -> (N,3) colours with the preset's jitter."""
    base = appearance.part_colors()[parts]
    if appearance.jitter > 0:
        base = base + appearance.jitter * torch.randn(base.shape, generator=generator)
    return base.clamp(0.02, 0.98)
