"""Furniture and props authored in their own frame (origin on the floor under the centre, front towards -Y).

Each function adds its primitives to a :class:`~zerohsi.scenes.layout.Layout` inside the current placement and
registers the interaction targets it offers under names starting with ``name``. Sizes are real-world metres:
chair and sofa seats 0.45 m, tables 0.75 m, bar counters 1.1 m, bar stools 0.75 m, beds 0.55 m.
"""

from __future__ import annotations

from zerohsi.scenes.layout import BLACK, DARK_METAL, METAL, OAK, WHITE, Layout, mat

FOLIAGE = mat((0.22, 0.48, 0.18), "grass", 0.15, (0.12, 0.32, 0.10), noise=0.12)
SOIL = mat((0.33, 0.23, 0.15), "grass", 0.1, (0.24, 0.16, 0.10), noise=0.15)
TERRACOTTA = mat((0.72, 0.38, 0.24), noise=0.06)


def table(L: Layout, name: str, size=(1.2, 0.7), height: float = 0.75, top=OAK, legs=OAK) -> None:
    sx, sy = size
    L.box((0, 0, height - 0.02), (sx, sy, 0.04), top, weight=2.0)
    for x in (-sx / 2 + 0.05, sx / 2 - 0.05):
        for y in (-sy / 2 + 0.05, sy / 2 - 0.05):
            L.box((x, y, (height - 0.04) / 2), (0.05, 0.05, height - 0.04), legs)
    L.target(name, "surface", (0, 0, height), extent=(sx / 2, sy / 2), approach=(0, -sy / 2 - 0.45),
             facing_deg=90)


def round_table(L: Layout, name: str, radius: float = 0.35, height: float = 0.75, top=WHITE) -> None:
    L.cylinder((0, 0, height - 0.02), radius, 0.04, top, weight=2.0)
    L.cylinder((0, 0, (height - 0.04) / 2), 0.03, height - 0.04, DARK_METAL)
    L.cylinder((0, 0, 0.015), 0.22, 0.03, DARK_METAL)
    L.target(name, "surface", (0, 0, height), extent=(radius * 0.7, radius * 0.7),
             approach=(0, -radius - 0.45), facing_deg=90)


def chair(L: Layout, name: str, seat=(0.45, 0.45), height: float = 0.45, wood=OAK, cushion=None) -> None:
    sx, sy = seat
    L.box((0, 0, height - 0.025), (sx, sy, 0.05), cushion or wood, weight=2.0, rounding=0.01)
    for x in (-sx / 2 + 0.03, sx / 2 - 0.03):
        for y in (-sy / 2 + 0.03, sy / 2 - 0.03):
            L.box((x, y, (height - 0.05) / 2), (0.04, 0.04, height - 0.05), wood)
    L.box((0, sy / 2 - 0.02, height + 0.25), (sx, 0.04, 0.45), wood, weight=1.5)
    L.target(name, "sit", (0, -0.03, height), approach=(0, -sy / 2 - 0.4))


def sofa(L: Layout, name: str, width: float = 2.0, fabric=None) -> None:
    fabric = fabric or mat((0.30, 0.42, 0.58), "fabric", 0.4)
    d = 0.9
    L.box((0, 0, 0.21), (width, d, 0.30), fabric, rounding=0.03)
    L.box((0, -0.05, 0.40), (width - 0.3, d - 0.15, 0.10), fabric, rounding=0.04, weight=2.0)
    L.box((0, d / 2 - 0.1, 0.62), (width, 0.2, 0.52), fabric, rounding=0.05, weight=1.5)
    for x in (-width / 2 + 0.075, width / 2 - 0.075):
        L.box((x, 0, 0.40), (0.15, d, 0.40), fabric, rounding=0.04)
    for x in (-width / 2 + 0.12, width / 2 - 0.12):
        for y in (-d / 2 + 0.08, d / 2 - 0.08):
            L.cylinder((x, y, 0.03), 0.025, 0.06, WALNUT_DARK)
    for label, x in (("left", -0.45), ("middle", 0.0), ("right", 0.45)):
        L.target(f"{name}_{label}" if label != "middle" else name, "sit", (x, -0.12, 0.45),
                 approach=(x, -d / 2 - 0.4))


WALNUT_DARK = mat((0.22, 0.14, 0.09), noise=0.05)


def armchair(L: Layout, name: str, fabric=None) -> None:
    fabric = fabric or mat((0.62, 0.30, 0.22), "fabric", 0.3)
    L.box((0, 0, 0.21), (0.85, 0.85, 0.30), fabric, rounding=0.03)
    L.box((0, -0.05, 0.40), (0.6, 0.7, 0.10), fabric, rounding=0.04)
    L.box((0, 0.33, 0.62), (0.85, 0.2, 0.52), fabric, rounding=0.05)
    for x in (-0.35, 0.35):
        L.box((x, 0, 0.40), (0.15, 0.85, 0.40), fabric, rounding=0.04)
    L.target(name, "sit", (0, -0.1, 0.45), approach=(0, -0.85))


def bed(L: Layout, name: str, width: float = 1.6, length: float = 2.0) -> None:
    """Headboard towards local +Y; mattress top at 0.55 m."""
    frame = mat((0.50, 0.36, 0.24), "wood", 0.25, (0.36, 0.24, 0.15))
    sheet = mat((0.85, 0.86, 0.90), "fabric", 0.4)
    duvet = mat((0.36, 0.50, 0.66), "stripes", 0.25, (0.30, 0.42, 0.58))
    L.box((0, 0, 0.17), (width, length, 0.26), frame)
    L.box((0, 0, 0.42), (width - 0.06, length - 0.06, 0.24), sheet, rounding=0.04)
    L.box((0, -0.25, 0.555), (width - 0.04, length * 0.6, 0.03), duvet, weight=1.5)
    L.box((0, length / 2 + 0.03, 0.55), (width + 0.06, 0.06, 1.1), frame, weight=1.5)
    for x in (-width / 4, width / 4):
        L.box((x, length / 2 - 0.25, 0.60), (width / 2 - 0.1, 0.35, 0.12), WHITE, rounding=0.05)
    L.target(name, "lie", (0, -0.1, 0.55), facing_deg=90, approach=(width / 2 + 0.45, -0.1))
    L.target(f"{name}_edge", "sit", (width / 2 - 0.2, -0.3, 0.55), facing_deg=0, approach=(width / 2 + 0.45, -0.3))


def nightstand(L: Layout, name: str) -> None:
    L.box((0, 0, 0.28), (0.45, 0.4, 0.56), mat((0.50, 0.36, 0.24), "wood", 0.2))
    L.box((0, -0.201, 0.38), (0.35, 0.005, 0.14), mat((0.42, 0.30, 0.2)))
    L.target(name, "surface", (0, 0, 0.56), extent=(0.22, 0.2), approach=(0, -0.65), facing_deg=90)


def lamp(L: Layout, height: float = 1.6) -> None:
    L.cylinder((0, 0, 0.015), 0.15, 0.03, DARK_METAL)
    L.cylinder((0, 0, height / 2), 0.015, height, DARK_METAL)
    L.cone((0, 0, height), 0.2, 0.12, 0.25, mat((0.95, 0.90, 0.75)))


def wardrobe(L: Layout, width: float = 1.2) -> None:
    w = mat((0.82, 0.78, 0.70), "wood", 0.4, (0.70, 0.66, 0.58))
    L.box((0, 0, 1.0), (width, 0.6, 2.0), w)
    L.box((0, -0.302, 1.0), (0.01, 0.004, 1.9), DARK_METAL)
    for x in (-0.06, 0.06):
        L.box((x, -0.31, 1.0), (0.02, 0.02, 0.25), METAL)


def dresser(L: Layout, name: str, width: float = 1.2) -> None:
    w = mat((0.45, 0.30, 0.20), "wood", 0.2, (0.32, 0.2, 0.12))
    L.box((0, 0, 0.425), (width, 0.5, 0.85), w)
    for z in (0.2, 0.45, 0.7):
        L.box((0, -0.252, z), (width - 0.1, 0.006, 0.2), mat((0.52, 0.36, 0.24), "wood", 0.2))
        L.box((0, -0.27, z), (0.15, 0.03, 0.02), METAL)
    L.target(name, "surface", (0, 0, 0.85), extent=(width / 2, 0.25), approach=(0, -0.7), facing_deg=90)


def rug(L: Layout, size=(2.0, 1.4), color=(0.62, 0.22, 0.20)) -> None:
    L.box((0, 0, 0.005), (size[0], size[1], 0.01), mat(color, "stripes", 0.15, (0.85, 0.78, 0.60)), weight=1.2)


def tv_stand(L: Layout) -> None:
    L.box((0, 0, 0.25), (1.6, 0.4, 0.5), WALNUT_DARK)
    L.box((0, 0, 0.85), (1.2, 0.06, 0.7), BLACK, weight=1.2)
    L.box((0, -0.035, 0.85), (1.1, 0.01, 0.62), mat((0.12, 0.18, 0.28), "stripes", 0.08, (0.1, 0.1, 0.15)))


def shelf(L: Layout, name: str, width: float = 1.0, height: float = 1.9, depth: float = 0.4, seed: int = 0,
          frame=None, boards: int = 5) -> None:
    """Open shelving unit with items; front towards -Y; reach target at the top shelf's front edge."""
    frame = frame or PINE_LIGHT
    for x in (-width / 2, width / 2):
        L.box((x, 0, height / 2), (0.03, depth, height), frame)
    L.box((0, depth / 2, height / 2), (width, 0.02, height), frame)
    zs = [0.05 + i * (height - 0.1) / (boards - 1) for i in range(boards)]
    palette = [(0.80, 0.20, 0.18), (0.20, 0.45, 0.75), (0.90, 0.75, 0.20), (0.25, 0.60, 0.30), (0.85, 0.50, 0.15),
               (0.55, 0.30, 0.65)]
    k = seed
    for z in zs:
        L.box((0, 0, z), (width - 0.03, depth, 0.025), frame, weight=1.2)
        if z > height - 0.15:
            continue
        x = -width / 2 + 0.08
        while x < width / 2 - 0.12:
            w_ = 0.08 + 0.06 * ((k * 7) % 3)
            h_ = 0.14 + 0.06 * ((k * 5) % 3)
            col = palette[k % len(palette)]
            L.box((x + w_ / 2, -0.02, z + 0.0125 + h_ / 2), (w_, depth * 0.7, h_), mat(col, noise=0.08), weight=1.5)
            x += w_ + 0.03
            k += 1
    top = zs[-2] if len(zs) > 1 else zs[-1]
    L.target(name, "reach", (0, -depth / 2 + 0.05, top + 0.12), facing_deg=90, approach=(0, -depth / 2 - 0.45))


PINE_LIGHT = mat((0.80, 0.66, 0.46), "wood", 0.3, (0.66, 0.50, 0.32))


def bar_counter(L: Layout, name: str, length: float = 3.0) -> None:
    front = mat((0.35, 0.20, 0.12), "wood", 0.2, (0.24, 0.13, 0.08))
    L.box((0, 0, 0.53), (length, 0.5, 1.06), front)
    L.box((0, -0.05, 1.08), (length + 0.1, 0.65, 0.04), mat((0.15, 0.15, 0.17), "checker", 0.3, (0.2, 0.2, 0.22)),
          weight=2.0)
    L.box((0, -0.28, 0.25), (length, 0.06, 0.04), METAL)  # foot rail
    L.target(name, "surface", (0, -0.05, 1.10), extent=(length / 2, 0.3), approach=(0, -0.8), facing_deg=90)


def bar_stool(L: Layout, name: str) -> None:
    """Seat top at 0.75 m; a person sits facing local -Y (placed facing the counter), approaching from behind."""
    L.cylinder((0, 0, 0.73), 0.18, 0.05, mat((0.55, 0.12, 0.12), "fabric", 0.2), weight=2.0)
    L.cylinder((0, 0, 0.36), 0.025, 0.68, METAL)
    L.torus((0, 0, 0.28), 0.15, 0.012, METAL)
    L.cylinder((0, 0, 0.01), 0.2, 0.02, METAL)
    L.target(name, "sit", (0, 0, 0.75), approach=(0, 0.45))


def back_bar(L: Layout, length: float = 3.0) -> None:
    """Wall shelves with bottles (front towards -Y)."""
    L.box((0, 0, 0.45), (length, 0.45, 0.9), WALNUT_DARK)
    glass = [(0.20, 0.45, 0.25), (0.55, 0.35, 0.15), (0.80, 0.80, 0.85), (0.45, 0.15, 0.15)]
    for z in (1.35, 1.75):
        L.box((0, 0.05, z - 0.02), (length, 0.25, 0.03), OAK)
        for i in range(int(length / 0.16)):
            x = -length / 2 + 0.1 + i * 0.16
            L.cylinder((x, 0.05, z + 0.12), 0.035, 0.24, mat(glass[i % 4], noise=0.05))


def gym_bench(L: Layout, name: str) -> None:
    pad = mat((0.10, 0.10, 0.12), "fabric", 0.2)
    L.box((0, 0, 0.42), (1.2, 0.3, 0.08), pad, rounding=0.02, weight=2.0)
    for x in (-0.45, 0.45):
        L.box((x, 0, 0.19), (0.06, 0.06, 0.38), DARK_METAL)
        L.box((x, 0, 0.02), (0.08, 0.45, 0.04), DARK_METAL)
    L.target(name, "sit", (0, 0, 0.46), approach=(0, -0.55))
    L.target(f"{name}_lie", "lie", (0, 0, 0.46), facing_deg=0, approach=(0, -0.55))


def squat_rack(L: Layout) -> None:
    for x in (-0.6, 0.6):
        for y in (-0.3, 0.3):
            L.box((x, y, 1.1), (0.06, 0.06, 2.2), mat((0.7, 0.1, 0.1), noise=0.04))
    L.box((0, 0.3, 2.2), (1.26, 0.06, 0.06), DARK_METAL)
    L.box((0, -0.3, 2.2), (1.26, 0.06, 0.06), DARK_METAL)
    L.rod((-0.75, 0, 1.4), (0.75, 0, 1.4), 0.015, METAL)


def dumbbell_rack(L: Layout) -> None:
    L.box((0, 0, 0.35), (1.4, 0.4, 0.05), DARK_METAL)
    for x in (-0.65, 0.65):
        L.box((x, 0, 0.17), (0.05, 0.35, 0.34), DARK_METAL)
    for i in range(6):
        x = -0.55 + i * 0.22
        L.rod((x, -0.1, 0.43), (x, 0.1, 0.43), 0.015, METAL)
        for y in (-0.1, 0.1):
            L.cylinder((x, y, 0.43), 0.05, 0.04, BLACK, axis="y")


def plant_table(L: Layout, name: str, length: float = 1.6, seed: int = 0) -> None:
    """Potting table at 0.8 m with pots and plants; reach target at the plants, a free surface at one end."""
    table(L, f"{name}_top", size=(length, 0.6), height=0.8, top=PINE_LIGHT, legs=PINE_LIGHT)
    n = 4
    for i in range(n):
        x = -length / 2 + 0.2 + i * 0.3
        h = 0.14 + 0.03 * ((seed + i) % 3)
        L.cone((x, 0, 0.8 + h / 2), 0.07, 0.1, h, TERRACOTTA)
        L.sphere((x, 0, 0.8 + h + 0.1), 0.12 + 0.02 * ((seed + 2 * i) % 2), FOLIAGE, weight=1.5)
    L.target(name, "reach", (-length / 2 + 0.5, -0.1, 1.05), facing_deg=90, approach=(-length / 2 + 0.5, -0.75))
    L.target(f"{name}_free", "surface", (length / 2 - 0.3, 0, 0.8), extent=(0.25, 0.25), facing_deg=90,
             approach=(length / 2 - 0.3, -0.75))


def potted_plant(L: Layout, height: float = 1.0) -> None:
    L.cone((0, 0, 0.15), 0.15, 0.2, 0.3, TERRACOTTA)
    L.cylinder((0, 0, 0.3 + height * 0.25), 0.02, height * 0.5, mat((0.35, 0.25, 0.15)))
    L.sphere((0, 0, 0.3 + height * 0.6), height * 0.3, FOLIAGE, weight=1.5)


def tree(L: Layout, height: float = 4.0) -> None:
    L.cylinder((0, 0, height * 0.3), 0.15, height * 0.6, mat((0.35, 0.25, 0.16), "wood", 0.3, (0.25, 0.17, 0.1)))
    L.sphere((0, 0, height * 0.7), height * 0.25, FOLIAGE, weight=0.8)
    L.sphere((0.3, 0.2, height * 0.82), height * 0.18, FOLIAGE, weight=0.5)


def park_bench(L: Layout, name: str, length: float = 1.6) -> None:
    slat = mat((0.55, 0.35, 0.18), "wood", 0.15, (0.4, 0.24, 0.12))
    for y in (-0.15, -0.05, 0.05, 0.15):
        L.box((0, y, 0.44), (length, 0.08, 0.03), slat, weight=1.5)
    for y in (0.24,):
        L.box((0, y, 0.68), (length, 0.03, 0.3), slat, weight=1.2)
    for x in (-length / 2 + 0.1, length / 2 - 0.1):
        L.box((x, 0, 0.21), (0.05, 0.4, 0.42), DARK_METAL)
    L.target(name, "sit", (0, -0.05, 0.455), approach=(0, -0.6))


def raised_bed(L: Layout, name: str, size=(2.0, 0.8), seed: int = 0) -> None:
    sx, sy = size
    plank = mat((0.50, 0.34, 0.20), "wood", 0.2, (0.36, 0.24, 0.13))
    L.box((0, 0, 0.2), (sx, sy, 0.4), plank)
    L.box((0, 0, 0.405), (sx - 0.08, sy - 0.08, 0.01), SOIL, weight=1.5)
    for i in range(5):
        x = -sx / 2 + 0.25 + i * (sx - 0.5) / 4
        L.sphere((x, 0.1 * ((seed + i) % 3 - 1), 0.5), 0.14, FOLIAGE, weight=1.5)
    L.target(name, "reach", (-sx / 4, -0.1, 0.55), facing_deg=90, approach=(-sx / 4, -sy / 2 - 0.45))


def slide(L: Layout, name: str) -> None:
    """Playground slide: ladder at local +Y, platform at 1.2 m, chute descending towards -Y."""
    red = mat((0.85, 0.18, 0.15), noise=0.05)
    yellow = mat((0.95, 0.78, 0.15), noise=0.05)
    L.box((0, 0.6, 1.2), (0.7, 0.6, 0.06), yellow, weight=1.5)
    for x in (-0.33, 0.33):
        for y in (0.33, 0.87):
            L.cylinder((x, y, 0.75), 0.04, 1.5, mat((0.2, 0.4, 0.8)))
        L.rod((x, 0.9, 1.2), (x, 0.9, 1.9), 0.03, mat((0.2, 0.4, 0.8)))
    for i in range(4):
        L.rod((-0.33, 1.0, 0.25 + i * 0.25), (0.33, 1.0, 0.25 + i * 0.25), 0.02, METAL)
    L.box((0, -0.45, 0.66), (0.55, 1.75, 0.04), red, roll=36.0, weight=2.0)
    for x in (-0.29, 0.29):
        L.box((x, -0.45, 0.76), (0.04, 1.75, 0.18), red, roll=36.0)
    L.target(name, "lean", (0.37, 0.6, 1.0), facing_deg=180, approach=(0.75, 0.6))


def swing(L: Layout) -> None:
    blue = mat((0.2, 0.4, 0.8))
    for x in (-1.0, 1.0):
        L.rod((x, -0.6, 0.0), (x, 0.0, 2.2), 0.04, blue)
        L.rod((x, 0.6, 0.0), (x, 0.0, 2.2), 0.04, blue)
    L.rod((-1.0, 0, 2.2), (1.0, 0, 2.2), 0.04, blue)
    for x in (-0.45, 0.45):
        L.rod((x - 0.2, 0, 0.5), (x - 0.2, 0, 2.2), 0.01, METAL)
        L.rod((x + 0.2, 0, 0.5), (x + 0.2, 0, 2.2), 0.01, METAL)
        L.box((x, 0, 0.5), (0.45, 0.18, 0.03), BLACK)


def parasol(L: Layout) -> None:
    L.cylinder((0, 0, 1.15), 0.02, 2.3, WHITE)
    L.cone((0, 0, 2.25), 1.1, 0.05, 0.3, mat((0.85, 0.25, 0.2), "stripes", 0.2, (0.95, 0.95, 0.9)), weight=0.8)


def bicycle(L: Layout, name: str) -> None:
    """A bicycle standing along local X (front wheel at +X) on its kickstand."""
    frame = mat((0.10, 0.35, 0.65), noise=0.04)
    for x in (-0.52, 0.52):
        L.torus((x, 0, 0.34), 0.32, 0.02, BLACK, axis="y", weight=1.5)
        L.cylinder((x, 0, 0.34), 0.04, 0.06, METAL, axis="y")
    bb = (0.0, 0, 0.3)
    seat = (-0.18, 0, 0.82)
    head = (0.38, 0, 0.85)
    for a, b in ((bb, seat), (bb, head), (seat, head), (bb, (-0.52, 0, 0.34)), (seat, (-0.52, 0, 0.34)),
                 (head, (0.52, 0, 0.34))):
        L.rod(a, b, 0.018, frame)
    L.box((-0.2, 0, 0.88), (0.24, 0.1, 0.05), BLACK, rounding=0.02)
    L.rod((0.38, 0, 0.85), (0.36, 0, 1.0), 0.015, METAL)
    L.rod((0.36, -0.26, 1.0), (0.36, 0.26, 1.0), 0.014, BLACK)
    L.rod((-0.05, 0, 0.28), (-0.1, 0.15, 0.0), 0.01, METAL)  # kickstand
    L.target(name, "reach", (0.36, 0.0, 1.0), facing_deg=0, approach=(-0.05, -0.5))
    L.target(f"{name}_left_grip", "reach", (0.36, 0.24, 1.0), facing_deg=0, approach=(-0.05, -0.5))
    L.target(f"{name}_right_grip", "reach", (0.36, -0.24, 1.0), facing_deg=0, approach=(-0.05, -0.5))


def box_truck(L: Layout, name: str) -> None:
    """A box truck along local X (cab at +X), cargo box side facing -Y."""
    paint = mat((0.92, 0.92, 0.90), "stripes", 0.9, (0.85, 0.2, 0.15), noise=0.03)
    cab = mat((0.15, 0.30, 0.60), noise=0.04)
    L.box((-0.8, 0, 1.95), (4.2, 2.3, 2.5), paint, weight=0.7)
    L.box((2.3, 0, 1.45), (1.8, 2.2, 1.9), cab, rounding=0.1, weight=0.8)
    L.box((2.9, 0, 1.85), (0.6, 2.1, 0.7), mat((0.25, 0.35, 0.45), noise=0.03), rounding=0.05)
    L.box((0.5, 0, 0.55), (6.0, 1.6, 0.3), DARK_METAL, weight=0.5)
    for x in (-2.0, -1.1, 2.4):
        for y in (-1.0, 1.0):
            L.cylinder((x, y, 0.5), 0.5, 0.3, BLACK, axis="y")
            L.cylinder((x, y * 1.005, 0.5), 0.25, 0.31, METAL, axis="y")
    L.target(name, "lean", (-0.5, -1.15, 1.2), facing_deg=90, approach=(-0.5, -1.6))


def fence(L: Layout, length: float, height: float = 1.0) -> None:
    w = mat((0.85, 0.85, 0.82), "wood", 0.3, (0.7, 0.7, 0.66))
    n = int(length / 0.15)
    for i in range(n):
        L.box((-length / 2 + 0.075 + i * 0.15, 0, height / 2), (0.09, 0.03, height), w, weight=0.5)
    L.box((0, 0.03, height * 0.75), (length, 0.03, 0.08), w, weight=0.4)
