import numpy as np

from zerohsi.segment.masks import Masks
from zerohsi.segment.prompts import entity_prompts, farthest_point_sample, mask_box


def _disc(h, w, cx, cy, r):
    yy, xx = np.mgrid[:h, :w]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def test_fps_points_inside_and_spread():
    mask = np.zeros((48, 64), bool)
    mask[10:40, 5:60] = True
    pts = farthest_point_sample(mask, 5)
    assert pts.shape == (5, 2)
    assert mask[pts[:, 1], pts[:, 0]].all()
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    # five points spread over a 55x30 box: random points would often be closer than this
    assert d.min() > 12
    # the first point is the deepest one (centre rows of the rectangle)
    assert 20 <= pts[0, 1] <= 29


def test_fps_more_points_than_pixels_and_empty():
    mask = np.zeros((8, 8), bool)
    mask[2, 3] = mask[5, 6] = True
    assert len(farthest_point_sample(mask, 10)) == 2
    assert farthest_point_sample(np.zeros((8, 8), bool), 3).shape == (0, 2)
    assert mask_box(np.zeros((8, 8), bool)) is None


def test_entity_prompts_visible_masks_and_negatives():
    h, w = 48, 64
    human = _disc(h, w, 20, 24, 10)
    obj = _disc(h, w, 40, 24, 9) & ~human  # occluded by the human where they overlap
    prompts = entity_prompts(Masks(human[None], obj[None]), num_positive=4, num_negative=2)
    hp, op = prompts["human"], prompts["object"]
    pos, neg = hp.points[hp.labels == 1].astype(int), hp.points[hp.labels == 0].astype(int)
    assert len(pos) == 4 and len(neg) == 2
    assert human[pos[:, 1], pos[:, 0]].all()
    assert obj[neg[:, 1], neg[:, 0]].all()
    opos = op.points[op.labels == 1].astype(int)
    assert obj[opos[:, 1], opos[:, 0]].all() and not human[opos[:, 1], opos[:, 0]].any()
    np.testing.assert_allclose(hp.box, [10, 14, 30, 34])


def test_entity_prompts_static_scene_and_hidden_object():
    human = _disc(32, 32, 16, 16, 6)
    p = entity_prompts(Masks(human[None]), num_positive=3, num_negative=1)
    assert list(p) == ["human"] and (p["human"].labels == 1).all()
    p = entity_prompts(Masks(human[None], np.zeros((1, 32, 32), bool)))
    assert p["object"].empty and len(p["object"].points) == 0
