"""The seven AnyInteraction objects, procedurally, with real-world proportions.

Canonical frame of every object: it rests on the plane z = 0, is centred on the Z axis, and the side a person uses
it from (handle, grip) faces -Y. Contact regions are surface patches on the parts hands hold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Optional

import torch

from zerohsi.scenes.layout import BLACK, DARK_METAL, METAL, Layout, mat
from zerohsi.scenes.scene import ContactRegion


def _guitar(L: Layout) -> None:
    """Acoustic guitar lying on its back: 1.08 m long (X), 0.36 m wide, 0.10 m deep."""
    top = mat((0.85, 0.62, 0.35), "wood", 0.08, (0.72, 0.48, 0.25))
    side = mat((0.45, 0.26, 0.14), "wood", 0.1, (0.32, 0.18, 0.09))
    dx = 0.14  # centre the 1.08 m length on the origin
    L.cylinder((-0.22 - dx, 0, 0.05), 0.18, 0.10, side, weight=1.0, name="lower_bout")
    L.cylinder((0.05 - dx, 0, 0.05), 0.135, 0.10, side, name="upper_bout")
    L.cylinder((-0.22 - dx, 0, 0.1005), 0.17, 0.001, top, weight=2.0)
    L.cylinder((0.05 - dx, 0, 0.1005), 0.125, 0.001, top, weight=2.0)
    L.cylinder((-0.02 - dx, 0, 0.1012), 0.045, 0.001, BLACK)  # sound hole
    L.box((0.33 - dx, 0, 0.075), (0.40, 0.05, 0.03), mat((0.30, 0.18, 0.10), "wood", 0.05), name="neck")
    L.box((0.60 - dx, 0, 0.07), (0.16, 0.085, 0.02), mat((0.20, 0.12, 0.07)), name="headstock")
    L.box((-0.28 - dx, 0, 0.102), (0.03, 0.14, 0.006), mat((0.15, 0.1, 0.06)))  # bridge


def _barbell(L: Layout) -> None:
    """Olympic barbell: 2.2 m bar (X), 0.45 m plates resting on the floor."""
    L.rod((-1.1, 0, 0.225), (1.1, 0, 0.225), 0.014, METAL, name="bar")
    plate = mat((0.12, 0.12, 0.14), "stripes", 0.05, (0.2, 0.2, 0.22))
    for s in (-1, 1):
        L.cylinder((s * 0.86, 0, 0.225), 0.225, 0.05, plate, axis="x", weight=1.5)
        L.cylinder((s * 0.80, 0, 0.225), 0.225, 0.05, mat((0.75, 0.12, 0.12)), axis="x", weight=1.5)
        L.cylinder((s * 0.74, 0, 0.225), 0.03, 0.05, METAL, axis="x")


def _watering_can(L: Layout) -> None:
    """Watering can: body 0.22 m diameter x 0.24 m, spout towards +X, handle arching over the top."""
    green = mat((0.20, 0.55, 0.35), noise=0.05)
    L.cylinder((0, 0, 0.12), 0.11, 0.24, green, name="body")
    L.rod((0.08, 0, 0.06), (0.33, 0, 0.30), 0.013, green, name="spout")
    L.cone((0.35, 0, 0.32), 0.015, 0.04, 0.05, green)
    L.torus((-0.02, 0, 0.24), 0.085, 0.012, DARK_METAL, axis="y", name="handle")


def _office_chair(L: Layout) -> None:
    """Office chair: five-star base on casters, seat top at 0.47 m, backrest to 1.04 m on the -Y side (where a
    person stands to push it; a seated person faces +Y)."""
    import math

    for k in range(5):
        a = 2 * math.pi * k / 5 + math.pi / 2
        end = (0.30 * math.cos(a), 0.30 * math.sin(a), 0.06)
        L.rod((0, 0, 0.08), end, 0.018, BLACK)
        L.sphere((end[0], end[1], 0.03), 0.03, DARK_METAL)
    L.cylinder((0, 0, 0.25), 0.025, 0.36, METAL)
    fabric = mat((0.15, 0.17, 0.22), "fabric", 0.15)
    L.box((0, 0, 0.45), (0.48, 0.48, 0.07), fabric, rounding=0.025, weight=2.0, name="seat")
    L.box((0, -0.24, 0.78), (0.46, 0.06, 0.52), fabric, rounding=0.025, weight=2.0, name="backrest")
    L.rod((0, -0.22, 0.44), (0, -0.25, 0.55), 0.02, BLACK)
    for s in (-1, 1):
        L.rod((s * 0.25, 0.05, 0.48), (s * 0.25, 0.05, 0.66), 0.015, BLACK)
        L.box((s * 0.25, 0.02, 0.67), (0.06, 0.26, 0.03), BLACK, rounding=0.01)


def _shopping_cart(L: Layout) -> None:
    """Shopping cart: wire basket 0.55 x 0.85 m at 0.45-0.95 m, handle at 1.0 m on the -Y side."""
    wire = mat((0.75, 0.77, 0.80), "checker", 0.05, (0.55, 0.57, 0.60), noise=0.03)
    y0, y1, z0, z1, hw = -0.35, 0.50, 0.45, 0.95, 0.275
    L.block((-hw, y0, z0), (hw, y1, z0 + 0.01), wire)
    L.block((-hw, y0, z0), (-hw + 0.01, y1, z1), wire)
    L.block((hw - 0.01, y0, z0), (hw, y1, z1), wire)
    L.block((-hw, y1 - 0.01, z0), (hw, y1, z1), wire)
    L.block((-hw, y0, z0), (hw, y0 + 0.01, z1), wire)
    for s in (-1, 1):
        L.rod((s * 0.25, -0.40, 0.12), (s * 0.25, 0.45, 0.12), 0.012, METAL)
        L.rod((s * 0.25, -0.40, 0.12), (s * 0.25, -0.45, 1.0), 0.012, METAL)
        for y in (-0.38, 0.42):
            L.cylinder((s * 0.22, y, 0.05), 0.05, 0.03, BLACK, axis="x")
    L.rod((-0.27, -0.45, 1.0), (0.27, -0.45, 1.0), 0.016, mat((0.8, 0.15, 0.12)), name="handle")


def _vase(L: Layout) -> None:
    """Ceramic vase, 0.35 m tall, 0.20 m diameter belly."""
    glaze = mat((0.20, 0.35, 0.62), "stripes", 0.06, (0.85, 0.85, 0.80), noise=0.04)
    L.cone((0, 0, 0.06), 0.07, 0.10, 0.12, glaze)
    L.cylinder((0, 0, 0.18), 0.10, 0.12, glaze, name="body")
    L.cone((0, 0, 0.28), 0.10, 0.045, 0.08, glaze)
    L.cylinder((0, 0, 0.335), 0.05, 0.03, glaze)


def _mower(L: Layout) -> None:
    """Push lawn mower: 0.55 x 0.5 m deck, 0.18 m wheels, handle bar at 1.0 m on the -Y side."""
    red = mat((0.80, 0.15, 0.10), noise=0.05)
    L.box((0, 0.05, 0.18), (0.55, 0.50, 0.18), red, rounding=0.04, weight=1.5, name="deck")
    L.cylinder((0, 0.08, 0.33), 0.12, 0.14, DARK_METAL)
    L.cylinder((0, 0.08, 0.42), 0.06, 0.05, BLACK)
    for s in (-1, 1):
        for y in (-0.16, 0.26):
            L.cylinder((s * 0.30, y, 0.09), 0.09, 0.05, BLACK, axis="x")
        L.rod((s * 0.22, -0.18, 0.25), (s * 0.22, -0.62, 0.98), 0.014, BLACK)
    L.rod((-0.24, -0.63, 1.0), (0.24, -0.63, 1.0), 0.016, mat((0.1, 0.1, 0.1)), name="handle")
    L.box((0, 0.42, 0.17), (0.40, 0.20, 0.22), mat((0.25, 0.25, 0.2), "checker", 0.04, (0.15, 0.15, 0.12)))


#: (part name or None for any part, optional box (lo, hi) in the object frame that keeps points, hand)
RegionSpec = tuple[Optional[str], Optional[tuple[Sequence[float], Sequence[float]]], str]

OBJECTS: dict[str, tuple[Callable[[Layout], None], dict[str, RegionSpec]]] = {
    "guitar": (_guitar, {
        "neck": ("neck", ((0.15, -1, -1), (0.37, 1, 1)), "left"),
        "body": ("lower_bout", ((-0.60, -1, -1), (-0.30, 1, 1)), "right"),
    }),
    "barbell": (_barbell, {
        "grip_left": ("bar", ((-0.40, -1, -1), (-0.22, 1, 1)), "left"),
        "grip_right": ("bar", ((0.22, -1, -1), (0.40, 1, 1)), "right"),
    }),
    "watering_can": (_watering_can, {
        "handle": ("handle", ((-1, -1, 0.27), (1, 1, 1)), "right"),
    }),
    "office_chair": (_office_chair, {
        "backrest_left": ("backrest", ((-0.24, -1, 0.95), (-0.08, 1, 1.1)), "left"),
        "backrest_right": ("backrest", ((0.08, -1, 0.95), (0.24, 1, 1.1)), "right"),
    }),
    "shopping_cart": (_shopping_cart, {
        "handle_left": ("handle", ((-0.25, -1, -1), (-0.08, 1, 2)), "left"),
        "handle_right": ("handle", ((0.08, -1, -1), (0.25, 1, 2)), "right"),
    }),
    "vase": (_vase, {
        "body_left": ("body", ((-0.2, -0.06, 0.14), (-0.06, 0.06, 0.22)), "left"),
        "body_right": ("body", ((0.06, -0.06, 0.14), (0.2, 0.06, 0.22)), "right"),
    }),
    "mower": (_mower, {
        "handle_left": ("handle", ((-0.22, -1, -1), (-0.06, 1, 2)), "left"),
        "handle_right": ("handle", ((0.06, -1, -1), (0.22, 1, 2)), "right"),
    }),
}

#: display names used in prompts
DISPLAY_NAMES = {"guitar": "Guitar", "barbell": "Barbell", "watering_can": "Watering Can",
                 "office_chair": "Office Chair", "shopping_cart": "Shopping Cart", "vase": "Vase", "mower": "Mower"}


def object_layout(name: str) -> Layout:
    builder, _ = OBJECTS[name]
    L = Layout(name)
    builder(L)
    return L


def contact_regions(L: Layout, specs: dict[str, RegionSpec], seed: int, n: int = 48) -> dict[str, ContactRegion]:
    """Sample each region's surface patch on its named part (points buried in other parts are dropped)."""
    from zerohsi.scenes.surfels import sample_surface

    gen = torch.Generator().manual_seed(int(seed) + 7919)
    out = {}
    for rname, (part, box, hand) in specs.items():
        parts = [p for p in L.prims if part is None or p.name == part]
        pts, nrm, _, _ = sample_surface(parts, 40 * n, gen)
        if box is not None:
            lo, hi = torch.tensor(box[0], dtype=torch.float32), torch.tensor(box[1], dtype=torch.float32)
            keep = ((pts >= lo) & (pts <= hi)).all(-1)
            pts, nrm = pts[keep], nrm[keep]
        others = [p for p in L.prims if p.solid and p.name != part]
        if others and len(pts):
            from zerohsi.scenes.primitives import union_sdf

            keep = union_sdf(others, pts) > -2e-3
            pts, nrm = pts[keep], nrm[keep]
        if len(pts) == 0:
            raise RuntimeError(f"contact region {rname!r} of {L.name!r} is empty")
        out[rname] = ContactRegion(rname, pts[:n].contiguous(), nrm[:n].contiguous(), hand)
    return out
