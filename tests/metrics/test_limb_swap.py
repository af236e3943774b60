"""The left/right limb-swap count of the accuracy benchmark."""

import torch

from zerohsi.metrics.fidelity import SWAP_LIMBS, limb_swaps

NAMES = [f"{side}_{p}" for parts in SWAP_LIMBS.values() for p in parts for side in ("left", "right")]


def _skeleton(leg_gap: float) -> torch.Tensor:
    """(J,3) knees/ankles ``leg_gap`` apart along x (left at +x), elbows/wrists 0.4 m apart."""
    pts = []
    for parts, gap in ((SWAP_LIMBS["legs"], leg_gap), (SWAP_LIMBS["arms"], 0.4)):
        for k, _ in enumerate(parts):
            for side in (1.0, -1.0):
                pts.append([side * gap / 2, 0.0, 1.0 - 0.3 * k])
    return torch.tensor(pts, dtype=torch.float64)


def test_swapped_legs_count_and_close_legs_do_not():
    truth = _skeleton(0.3)[None].repeat(3, 1, 1)
    pred = truth.clone()
    legs = [NAMES.index(f"{s}_{p}") for p in SWAP_LIMBS["legs"] for s in ("left", "right")]
    pred[1, legs] = truth[1, [legs[1], legs[0], legs[3], legs[2]]]  # frame 1: left and right legs exchanged
    assert limb_swaps(pred, truth, NAMES).tolist() == [False, True, False]
    # legs passing each other (2 cm apart): exchanging them is within the margin, not a swap
    close = _skeleton(0.02)[None]
    crossed = close.clone()
    crossed[:, legs] = close[:, [legs[1], legs[0], legs[3], legs[2]]]
    assert not limb_swaps(crossed, close, NAMES).any()
