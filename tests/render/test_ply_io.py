"""3DGS .ply reading and writing: round trips, files of other writers, and every kind of bad file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from render_helpers import random_gaussians

from zerohsi.errors import UserError
from zerohsi.gaussians import SH_C0
from zerohsi.ply import load_ply, ply_stats, save_ply


def _write_ply(path, props: list[tuple[str, str]], table: np.ndarray | None, n: int, fmt="binary_little_endian",
               extra_head: str = "", truncate: int = 0) -> None:
    head = f"ply\nformat {fmt} 1.0\n{extra_head}element vertex {n}\n"
    head += "".join(f"property {t} {name}\n" for name, t in props) + "end_header\n"
    body = b"" if table is None else table.tobytes()
    path.write_bytes(head.encode() + body[:len(body) - truncate])


def _inria_table(n: int, degree: int, seed: int = 0, order: str = "<") -> tuple[list[tuple[str, str]], np.ndarray]:
    """A file laid out like the reference 3DGS trainer writes it (normals, channel-major f_rest)."""
    rest = 3 * ((degree + 1) ** 2 - 1)
    names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"] + [f"f_rest_{i}" for i in range(rest)]
    names += ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    rng = np.random.default_rng(seed)
    table = np.zeros(n, dtype=[(nm, order + "f4") for nm in names])
    for nm in names:
        table[nm] = rng.normal(size=n)
    for i in range(3):
        table[f"scale_{i}"] = rng.uniform(-6, -2, size=n)
    return [(nm, "float") for nm in names], table


@pytest.mark.parametrize("fmt", ["binary_little_endian", "binary_big_endian", "ascii"])
def test_round_trip_every_format(tmp_path, fmt):
    g = random_gaussians(64, seed=4, sh_degree=2)
    save_ply(tmp_path / "a.ply", g, format=fmt)
    h = load_ply(tmp_path / "a.ply")
    assert h.sh_degree == 2 and len(h) == 64 and h.means.dtype == torch.float32
    for f in ("means", "quats", "scales", "opacities", "colors"):
        torch.testing.assert_close(getattr(h, f), getattr(g, f), rtol=2e-7, atol=1e-7)


def test_file_round_trip_is_bit_exact_in_float64(tmp_path):
    save_ply(tmp_path / "a.ply", random_gaussians(50, seed=2, sh_degree=3))
    save_ply(tmp_path / "b.ply", load_ply(tmp_path / "a.ply", dtype=torch.float64))
    assert (tmp_path / "a.ply").read_bytes() == (tmp_path / "b.ply").read_bytes()


def test_rgb_gaussians_are_saved_as_sh_dc(tmp_path):
    g = random_gaussians(10, seed=1)
    save_ply(tmp_path / "a.ply", g)
    h = load_ply(tmp_path / "a.ply")
    assert h.sh_degree == 0
    torch.testing.assert_close(h.base_rgb(), g.colors, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("order", ["<", ">"])
def test_reference_trainer_layout_and_channel_major_sh(tmp_path, order):
    props, table = _inria_table(20, degree=3, order=order)
    fmt = "binary_little_endian" if order == "<" else "binary_big_endian"
    _write_ply(tmp_path / "p.ply", props, table, 20, fmt=fmt, extra_head="comment made by a trainer\n")
    g = load_ply(tmp_path / "p.ply")
    assert g.colors.shape == (20, 16, 3)
    # channel-major: f_rest_0..14 are red bands 1..15, f_rest_15..29 green, f_rest_30..44 blue
    np.testing.assert_allclose(g.colors[:, 1, 0].numpy(), table["f_rest_0"], rtol=1e-7)
    np.testing.assert_allclose(g.colors[:, 1, 1].numpy(), table["f_rest_15"], rtol=1e-7)
    np.testing.assert_allclose(g.colors[:, 15, 2].numpy(), table["f_rest_44"], rtol=1e-7)
    np.testing.assert_allclose(g.colors[:, 0, 2].numpy(), table["f_dc_2"], rtol=1e-7)
    np.testing.assert_allclose(g.opacities.numpy(), 1 / (1 + np.exp(-table["opacity"].astype(np.float64))),
                               rtol=1e-6)
    np.testing.assert_allclose(g.scales[:, 1].numpy(), np.exp(table["scale_1"].astype(np.float64)), rtol=1e-6)
    q = np.stack([table[f"rot_{i}"] for i in range(4)], -1).astype(np.float64)
    np.testing.assert_allclose(g.quats.numpy(), q / np.linalg.norm(q, axis=1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_gsplat_exporter_file_loads(tmp_path):
    exporter = pytest.importorskip("gsplat.exporter", reason="gsplat is not installed")
    g = random_gaussians(30, seed=6, sh_degree=1)
    sh0 = g.colors[:, 0]
    shN = g.colors[:, 1:].permute(0, 2, 1).reshape(30, -1)  # what gsplat's export_splats does
    data = exporter.splat2ply_bytes(g.means, torch.log(g.scales), g.quats, torch.logit(g.opacities), sh0, shN)
    (tmp_path / "gs.ply").write_bytes(data)
    h = load_ply(tmp_path / "gs.ply")
    for f in ("means", "quats", "scales", "opacities", "colors"):
        torch.testing.assert_close(getattr(h, f), getattr(g, f), rtol=1e-5, atol=1e-6)


def test_splatfacto_degree0_rgb_file_loads(tmp_path):
    # nerfstudio writes degree-0 models with uchar red/green/blue instead of f_dc_*
    n = 12
    names = [("x", "float"), ("y", "float"), ("z", "float"), ("nx", "float"), ("ny", "float"), ("nz", "float"),
             ("red", "uchar"), ("green", "uchar"), ("blue", "uchar"), ("opacity", "float")]
    names += [(f"scale_{i}", "float") for i in range(3)] + [(f"rot_{i}", "float") for i in range(4)]
    dt = np.dtype([(nm, "<u1" if t == "uchar" else "<f4") for nm, t in names])
    table = np.zeros(n, dtype=dt)
    table["red"], table["green"], table["blue"] = 255, 0, np.arange(n) * 20
    table["rot_0"] = 1
    _write_ply(tmp_path / "ns.ply", names, table, n)
    g = load_ply(tmp_path / "ns.ply")
    assert g.colors.shape == (n, 3)
    torch.testing.assert_close(g.colors[:, 0], torch.ones(n))
    torch.testing.assert_close(g.colors[:, 2], torch.arange(n) * 20 / 255.0)


def _good(tmp_path, n=10, degree=1):
    props, table = _inria_table(n, degree)
    return props, table


@pytest.mark.parametrize("case, pattern", [
    ("truncated", r"truncated: the header promises 10 Gaussians but only 7 complete rows"),
    ("missing", r"missing properties opacity"),
    ("wrong_type", r"property 'x' has integer type"),
    ("nan", r"2 rows have NaN or infinite values in property 'y'"),
    ("inf_sh", r"1 rows have NaN or infinite values in colour"),
    ("zero_quat", r"3 rows have zero-norm quaternions"),
    ("absurd_scale", r"1 rows have absurd log-scales"),
    ("absurd_count", r"claims 999999999999 rows, an absurd size"),
    ("not_ply", r"not a PLY file"),
    ("no_end", r"no 'end_header'"),
    ("bad_rest", r"8 f_rest_\* properties do not form a full SH band set"),
    ("list_prop", r"list properties"),
])
def test_bad_files_give_one_actionable_sentence(tmp_path, case, pattern):
    props, table = _good(tmp_path)
    path = tmp_path / f"{case}.ply"
    n = 10
    if case == "truncated":
        _write_ply(path, props, table, n, truncate=table.dtype.itemsize * 3 - 5)
    elif case == "missing":
        keep = [p for p in props if p[0] != "opacity"]
        _write_ply(path, keep, table[[p[0] for p in keep]].copy(), n)
    elif case == "wrong_type":
        dt = np.dtype([(nm, "<u1" if nm == "x" else "<f4") for nm, _ in props])
        t2 = np.zeros(n, dtype=dt)
        _write_ply(path, [(nm, "uchar" if nm == "x" else t) for nm, t in props], t2, n)
    elif case == "nan":
        table["y"][[1, 4]] = np.nan
        _write_ply(path, props, table, n)
    elif case == "inf_sh":
        table["f_rest_3"][2] = np.inf
        _write_ply(path, props, table, n)
    elif case == "zero_quat":
        for i in range(4):
            table[f"rot_{i}"][[0, 5, 9]] = 0
        _write_ply(path, props, table, n)
    elif case == "absurd_scale":
        table["scale_2"][3] = 80.0
        _write_ply(path, props, table, n)
    elif case == "absurd_count":
        _write_ply(path, props, table, 999999999999)
    elif case == "not_ply":
        path.write_bytes(b"solid cube\nfacet normal 0 0 1\n")
    elif case == "no_end":
        path.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n")
    elif case == "bad_rest":
        keep = [p for p in props if p[0] != "f_rest_8"]
        _write_ply(path, keep, table[[p[0] for p in keep]].copy(), n)
    elif case == "list_prop":
        path.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty list uchar int idx\nend_header\n1 0\n")
    with pytest.raises(UserError, match=pattern) as info:
        load_ply(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{case}.ply: ")


def test_drop_invalid_skips_bad_rows_and_stats_report_them(tmp_path):
    props, table = _inria_table(10, 0)
    table["x"][2] = np.nan
    for i in range(4):
        table[f"rot_{i}"][7] = 0
    _write_ply(tmp_path / "bad.ply", props, table, 10)
    g = load_ply(tmp_path / "bad.ply", drop_invalid=True)
    assert len(g) == 8 and torch.isfinite(g.means).all()
    stats = ply_stats(tmp_path / "bad.ply")
    assert stats.count == 8
    assert any("NaN" in a for a in stats.anomalies) and any("zero-norm" in a for a in stats.anomalies)


def test_ascii_file_from_hand(tmp_path):
    text = ("ply\nformat ascii 1.0\nelement vertex 2\n" + "".join(
        f"property float {p}\n" for p in ["x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0",
                                          "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"])
            + "end_header\n1 2 3 0 0 0 0 -3 -3 -3 2 0 0 0\n-1 0 0.5 1 1 1 2.1972245773 0 0 0 0 0 0 3\n")
    (tmp_path / "a.ply").write_text(text)
    g = load_ply(tmp_path / "a.ply")
    torch.testing.assert_close(g.means[0], torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(g.opacities, torch.tensor([0.5, 0.9]))
    torch.testing.assert_close(g.quats, torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 1.0]]))
    torch.testing.assert_close(g.base_rgb()[1], torch.full((3,), SH_C0 + 0.5))
