"""Procedural twins of the twelve AnyInteraction scenes.

Indoor rooms have a floor, a back wall (+Y) and two side walls, and stay open towards -Y where the instance cameras
stand. Outdoor scenes have textured ground and props. Layout: x across, y into the scene, floor at z = 0.
Each builder takes the layout and a seed; the seed varies small details (item sizes, plant heights, colour
noise), never the position of anything an instance refers to.
"""

from __future__ import annotations

from collections.abc import Callable

from zerohsi.scenes import furniture as fu
from zerohsi.scenes.layout import DARK_METAL, METAL, OAK, WALNUT, WHITE, Layout, mat

WALL_H = 2.6


def room(L: Layout, size: tuple[float, float], floor, wall, *, height: float = WALL_H, trim=None) -> None:
    """Floor (W x D centred at the origin), back wall at y = +D/2, side walls at x = +-W/2; open at -Y."""
    W, D = size
    L.floor((W, D), floor)
    t = 0.1
    L.block((-W / 2, D / 2, 0), (W / 2, D / 2 + t, height), wall, weight=0.7)
    L.block((-W / 2 - t, -D / 2, 0), (-W / 2, D / 2 + t, height), wall, weight=0.5)
    L.block((W / 2, -D / 2, 0), (W / 2 + t, D / 2 + t, height), wall, weight=0.5)
    trim = trim or mat((0.93, 0.92, 0.88), noise=0.03)
    L.block((-W / 2, D / 2 - 0.015, 0), (W / 2, D / 2, 0.1), trim, weight=0.3)


def picture(L: Layout, x: float, y: float, z: float, size=(0.7, 0.5), colors=((0.2, 0.5, 0.7), (0.9, 0.7, 0.3))):
    L.box((x, y, z), (size[0], 0.03, size[1]), mat(colors[0], "checker", size[0] / 3, colors[1], noise=0.1),
          weight=1.5)


def bedroom(L: Layout, seed: int) -> None:
    room(L, (6.0, 5.0), mat((0.66, 0.48, 0.30), "wood", 0.22, (0.50, 0.34, 0.20)),
         mat((0.86, 0.80, 0.70), "stripes", 0.4, (0.82, 0.76, 0.66), noise=0.04))
    with L.place(0.6, 1.45, 0):
        fu.bed(L, "bed")
    with L.place(-0.55, 2.2, 0):
        fu.nightstand(L, "nightstand")
    with L.place(1.75, 2.2, 0):
        fu.nightstand(L, "nightstand_right")
        with L.place(0.05, 0.05, 0, z=0.56):
            fu.lamp(L, 0.45)
    with L.place(-2.6, 0.0, 90):
        fu.dresser(L, "dresser")
    with L.place(-2.2, 2.15, 0):
        fu.wardrobe(L)
    with L.place(0.6, -0.3, 0):
        fu.rug(L, (2.4, 1.0), (0.55, 0.30, 0.45))
    picture(L, 0.6, 2.48, 1.7, (1.0, 0.6))
    L.target("bedroom_center", "stand", (-0.8, -0.6, 0.0))


def living_room(L: Layout, seed: int) -> None:
    room(L, (6.5, 5.0), mat((0.70, 0.52, 0.34), "wood", 0.2, (0.54, 0.38, 0.22)),
         mat((0.80, 0.84, 0.78), noise=0.05))
    with L.place(0.0, 1.9, 0):
        fu.sofa(L, "sofa")
    with L.place(0.0, 0.35, 0):
        fu.table(L, "coffee_table", size=(1.2, 0.5), height=0.42, top=WALNUT, legs=WALNUT)
    with L.place(0.0, 0.8, 0):
        fu.rug(L, (2.6, 1.8))
    with L.place(-2.5, 1.2, 60):
        fu.armchair(L, "armchair")
    with L.place(2.9, 0.4, -90):
        fu.tv_stand(L)
    with L.place(-2.8, 2.1, 0):
        fu.lamp(L)
    with L.place(2.6, 2.1, 0):
        fu.potted_plant(L, 1.2)
    picture(L, -1.6, 2.48, 1.6, (0.8, 0.6), ((0.7, 0.3, 0.2), (0.95, 0.85, 0.6)))
    picture(L, 1.5, 2.48, 1.7, (0.6, 0.8))
    L.target("living_room_center", "stand", (-1.0, -0.8, 0.0))


def gym(L: Layout, seed: int) -> None:
    room(L, (7.0, 5.5), mat((0.16, 0.17, 0.18), "tiles", 0.5, (0.08, 0.08, 0.09), noise=0.1),
         mat((0.70, 0.74, 0.78), "stripes", 1.3, (0.30, 0.42, 0.62), noise=0.04))
    with L.place(-1.2, 1.0, 0):
        fu.gym_bench(L, "bench")
    with L.place(1.8, 2.1, 0):
        fu.squat_rack(L)
    with L.place(-1.5, 2.45, 0):
        fu.dumbbell_rack(L)
    L.box((0, 2.74, 1.4), (3.0, 0.02, 1.6), mat((0.75, 0.80, 0.85), "stripes", 0.5, (0.65, 0.70, 0.76)), weight=1.0)
    L.target("lifting_spot", "stand", (1.2, -0.2, 0.0), facing_deg=90)


def bar(L: Layout, seed: int) -> None:
    room(L, (7.0, 5.5), mat((0.30, 0.20, 0.14), "wood", 0.18, (0.20, 0.12, 0.08)),
         mat((0.50, 0.22, 0.18), "tiles", 0.25, (0.35, 0.15, 0.12), noise=0.05))
    with L.place(0.0, 1.2, 0):
        fu.bar_counter(L, "bar_counter", 3.2)
    with L.place(0.0, 2.45, 0):
        fu.back_bar(L, 3.4)
    for i, x in enumerate((-1.0, 0.0, 1.0)):
        with L.place(x, 0.45, 180):
            fu.bar_stool(L, ("stool_left", "stool", "stool_right")[i])
    with L.place(-2.6, -0.8, 0):
        fu.round_table(L, "bar_table", 0.4, 0.75, top=WALNUT)
    with L.place(2.6, -0.6, 0):
        fu.round_table(L, "bar_table_right", 0.4, 0.75, top=WALNUT)
    L.target("bar_center", "stand", (0.0, -1.2, 0.0))


def greenhouse(L: Layout, seed: int) -> None:
    glass = mat((0.70, 0.85, 0.80), "checker", 0.6, (0.62, 0.78, 0.72), noise=0.04)
    room(L, (7.0, 5.5), mat((0.55, 0.52, 0.48), "tiles", 0.4, (0.40, 0.38, 0.35), noise=0.08), glass, height=2.8)
    with L.place(-1.0, 1.8, 0):
        fu.plant_table(L, "plants", 1.8, seed)
    with L.place(2.2, 1.8, 0):
        fu.plant_table(L, "plants_right", 1.6, seed + 1)
    with L.place(-3.0, -0.5, 90):
        fu.plant_table(L, "plants_side", 1.6, seed + 2)
    for x, y in ((1.0, -1.5), (2.8, -0.5)):
        with L.place(x, y, 0):
            fu.potted_plant(L, 1.0 + 0.1 * (seed % 3))
    L.target("greenhouse_center", "stand", (0.0, -0.6, 0.0))


def store(L: Layout, seed: int) -> None:
    room(L, (8.0, 6.0), mat((0.88, 0.88, 0.86), "tiles", 0.45, (0.70, 0.70, 0.70), noise=0.05),
         mat((0.92, 0.90, 0.82), "stripes", 1.5, (0.25, 0.55, 0.35), noise=0.03), height=3.0)
    for i, x in enumerate((-1.1, 0.0, 1.1)):
        with L.place(x, 2.75, 0):
            fu.shelf(L, ("shelf_left", "shelf", "shelf_right")[i], 1.05, 1.9, 0.45, seed + 3 * i)
    for i, x in enumerate((-2.5, 2.6)):
        with L.place(x, 0.6, 90 if x < 0 else -90):
            fu.shelf(L, ("aisle_left", "aisle_right")[i], 1.8, 1.6, 0.5, seed + 10 + i)
    with L.place(-2.9, -2.1, 0):
        L.box((0, 0, 0.45), (1.6, 0.6, 0.9), mat((0.3, 0.3, 0.35), noise=0.04))
    L.target("store_entrance", "stand", (0.0, -2.0, 0.0), facing_deg=90)


def room_scene(L: Layout, seed: int) -> None:
    room(L, (6.0, 5.0), mat((0.74, 0.60, 0.42), "wood", 0.25, (0.60, 0.46, 0.30)),
         mat((0.78, 0.82, 0.88), noise=0.05))
    with L.place(1.2, 2.05, 0):
        fu.table(L, "desk", size=(1.4, 0.7), height=0.75, top=OAK, legs=DARK_METAL)
        L.box((0, 0.15, 1.0), (0.6, 0.04, 0.38), mat((0.08, 0.08, 0.1), "stripes", 0.05, (0.12, 0.14, 0.2)))
        L.box((0, 0.15, 0.8), (0.2, 0.15, 0.1), DARK_METAL)
    L.target("desk_spot", "stand", (1.2, 1.25, 0.0), facing_deg=90)
    with L.place(-1.2, 1.2, 0):
        fu.chair(L, "chair", cushion=mat((0.25, 0.45, 0.35), "fabric", 0.2))
    with L.place(-1.2, 2.05, 0):
        fu.table(L, "side_table", size=(0.9, 0.6), height=0.75)
    with L.place(-2.65, 0.3, 90):
        fu.shelf(L, "bookshelf", 1.2, 2.0, 0.35, seed)
    picture(L, -1.2, 2.48, 1.6)
    L.target("room_center", "stand", (0.0, -0.5, 0.0))


def ground(L: Layout, size, material) -> None:
    L.floor(size, material, weight=0.45)


GRASS = mat((0.32, 0.52, 0.22), "grass", 0.5, (0.24, 0.40, 0.15), noise=0.12)
PAVING = mat((0.62, 0.60, 0.56), "tiles", 0.5, (0.45, 0.43, 0.40), noise=0.08)
SAND = mat((0.84, 0.74, 0.52), "grass", 0.3, (0.74, 0.64, 0.44), noise=0.1)


def backdrop(L: Layout, width: float, y: float, material, height: float = 2.5) -> None:
    """A distant hedge / building facade that gives outdoor views texture above the horizon."""
    L.block((-width / 2, y, 0), (width / 2, y + 0.6, height), material, weight=0.5)


HEDGE = mat((0.18, 0.38, 0.16), "grass", 0.25, (0.10, 0.25, 0.09), noise=0.15)
BRICK = mat((0.62, 0.32, 0.24), "tiles", 0.25, (0.80, 0.75, 0.68), noise=0.08)


def playground(L: Layout, seed: int) -> None:
    ground(L, (12.0, 10.0), SAND)
    with L.place(-0.5, 1.2, 0):
        fu.slide(L, "slide")
    with L.place(2.6, 2.2, 0):
        fu.swing(L)
    with L.place(-3.0, -0.5, 90):
        fu.park_bench(L, "bench")
    for x, y in ((-4.0, 3.5), (4.2, 3.8)):
        with L.place(x, y, 0):
            fu.tree(L, 4.0 + 0.3 * (seed % 3))
    backdrop(L, 12.0, 4.7, HEDGE, 1.8)
    L.target("playground_center", "stand", (0.5, -1.0, 0.0))


def cafe(L: Layout, seed: int) -> None:
    ground(L, (12.0, 10.0), PAVING)
    tables = (("cafe_table", -1.0, 1.0), ("cafe_table_right", 1.2, 1.0), ("cafe_table_back", 0.2, 2.8))
    for name, x, y in tables:
        with L.place(x, y, 0):
            fu.round_table(L, name, 0.4, 0.75, top=WHITE)
        for k, (dx, dy, yaw) in enumerate(((0.0, -0.65, 0), (0.0, 0.65, 180))):
            with L.place(x + dx, y + dy, yaw):
                fu.chair(L, f"{name}_chair" if k == 0 else f"{name}_chair_back", (0.42, 0.42), 0.45, METAL,
                         mat((0.85, 0.3, 0.2), "fabric", 0.2))
    with L.place(-3.0, 2.0, 0):
        fu.parasol(L)
    with L.place(3.0, 2.8, 0):
        fu.potted_plant(L, 1.2)
    backdrop(L, 12.0, 4.5, BRICK, 3.5)
    with L.place(0.0, 4.45, 0):
        L.box((0, 0, 1.6), (2.0, 0.05, 1.4), mat((0.2, 0.3, 0.35), "checker", 0.5, (0.25, 0.35, 0.4)))
    L.target("cafe_center", "stand", (0.0, -0.8, 0.0))


def garden(L: Layout, seed: int) -> None:
    ground(L, (12.0, 10.0), GRASS)
    with L.place(-1.4, 2.0, 0):
        fu.raised_bed(L, "garden_bed", (2.0, 0.8), seed)
    with L.place(1.6, 2.0, 0):
        fu.raised_bed(L, "garden_bed_right", (2.0, 0.8), seed + 1)
    with L.place(3.2, -0.3, -90):
        fu.park_bench(L, "bench")
    with L.place(-4.0, 3.0, 0):
        fu.tree(L, 4.5)
    with L.place(0.0, 4.0, 0):
        fu.fence(L, 11.0, 1.1)
    backdrop(L, 12.0, 4.6, HEDGE, 2.0)
    L.target("garden_center", "stand", (0.0, -0.5, 0.0))


def bicycle_scene(L: Layout, seed: int) -> None:
    ground(L, (12.0, 10.0), PAVING)
    with L.place(0.3, 1.2, 0):
        fu.bicycle(L, "bicycle")
    with L.place(-2.6, 2.4, 0):
        fu.park_bench(L, "bench")
    with L.place(3.0, 3.0, 0):
        fu.tree(L, 4.0)
    backdrop(L, 12.0, 4.2, BRICK, 3.0)
    L.target("bicycle_spot", "stand", (-1.0, -0.5, 0.0))


def truck_scene(L: Layout, seed: int) -> None:
    ground(L, (16.0, 12.0), mat((0.35, 0.35, 0.36), "tiles", 1.0, (0.8, 0.8, 0.75), noise=0.1))
    with L.place(0.0, 2.4, 0):
        fu.box_truck(L, "truck")
    backdrop(L, 16.0, 5.2, BRICK, 4.0)
    with L.place(-4.5, 0.5, 0):
        fu.tree(L, 4.5)
    L.target("truck_spot", "stand", (-2.5, -0.8, 0.0))


#: scene name -> (builder, indoor?)
SCENES: dict[str, tuple[Callable[[Layout, int], None], bool]] = {
    "bedroom": (bedroom, True),
    "living_room": (living_room, True),
    "gym": (gym, True),
    "bar": (bar, True),
    "greenhouse": (greenhouse, True),
    "store": (store, True),
    "room": (room_scene, True),
    "playground": (playground, False),
    "cafe": (cafe, False),
    "garden": (garden, False),
    "bicycle": (bicycle_scene, False),
    "truck": (truck_scene, False),
}


def layout(name: str, seed: int = 0) -> Layout:
    """The primitives and targets of a procedural twin (no Gaussians: cheap)."""
    builder, _ = SCENES[name]
    L = Layout(name)
    builder(L, int(seed))
    return L
