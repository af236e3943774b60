"""The paper's table file and the table renderings."""

from __future__ import annotations

import pytest

from zerohsi.bench.tables import build_tables, load_paper_tables, to_latex, to_markdown, write_tables
from zerohsi.errors import UserError


def test_paper_rows_match_the_published_numbers():
    paper = load_paper_tables()
    t1, t2, t4 = paper["table1"], paper["table2"], paper["table4"]
    assert t1["rows"]["TRUMANS"] == [22.36, 0.9934, 0.1527, 0.046, 0.240, None, 0.196]
    assert t1["rows"]["ZeroHSI"][5] == 1.330
    assert t2["rows"]["CHOIS"] == [22.11, 0.9871, 0.3382, 0.025, 0.191, 1.877, 0.687, 1.581]
    assert t2["rows"]["ZeroHSI"][5] is None and t2["rows"]["ZeroHSI"][7] == 0.033
    assert t4["rows"]["w/o OPT_all"] == [22.73, 0.9890, 0.048, 0.505, 4.917, 0.054]
    assert [c["key"] for c in t2["columns"]][-2:] == ["contact", "obj_pene_cm"]


def test_ours_rows_average_matching_runs_only():
    paper = {"paper_setup": True, "setup_label": ""}
    smoke = {"paper_setup": False, "setup_label": "test signal · fast"}
    rows = [
        {"status": "ok", "method": "zerohsi", "variant": "zerohsi", "dynamic": False, "scene": "gym", "pene_max": 1.0,
         **paper},
        {"status": "ok", "method": "zerohsi", "variant": "zerohsi", "dynamic": False, "scene": "gym", "pene_max": 3.0,
         **paper},
        {"status": "ok", "method": "zerohsi", "variant": "zerohsi", "dynamic": False, "scene": "truck",
         "pene_max": 100.0, **paper},  # the paper's static tables leave the Truck scene out
        {"status": "failed", "method": "zerohsi", "variant": "zerohsi", "dynamic": False, "pene_max": 50.0, **paper},
        {"status": "ok", "method": "zerohsi", "variant": "zerohsi", "dynamic": False, "scene": "gym", "pene_max": 9.0,
         "skipped_clip_score": "no rendered reconstruction frames to score", **smoke},
        {"status": "ok", "method": "zerohsi", "variant": "wo_opt_body", "dynamic": False, "pene_max": 7.0, **paper},
        {"status": "ok", "method": "zerohsi", "variant": "zerohsi", "dynamic": True, "contact": 0.5, **paper},
    ]
    t1, t2, t4 = build_tables(rows)
    ours = {r.name: r for r in t1.rows if r.source == "ours"}
    assert set(ours) == {"ZeroHSI", "ZeroHSI · test signal · fast"}
    assert ours["ZeroHSI"].n == 2 and ours["ZeroHSI"].values[5] == 2.0  # the smoke run stays out of the paper row
    smoke_row = ours["ZeroHSI · test signal · fast"]
    assert smoke_row.n == 1 and smoke_row.values[5] == 9.0 and smoke_row.skip_reason(0).startswith("no rendered")
    assert next(r for r in t2.rows if r.source == "ours").values[6] == 0.5
    ablation = next(r for r in t4.rows if r.name == "w/o OPT_body" and r.source == "ours")
    assert ablation.values[4] == 7.0 and ablation.values[0] is None
    md = to_markdown(t1)
    assert "| ZeroHSI (ours, n=2) | – | – | – | – | – | 2.0000 | – |" in md
    assert "| ZeroHSI · test signal · fast (ours, n=1) | skipped | – |" in md
    assert "CLIP score skipped for ZeroHSI · test signal · fast (ours, n=1): no rendered" in md
    assert "percent of body vertices inside the scene" in md and "Foot sliding" in md and "mm per frame" in md
    # captions count what each side averages: never the paper's 55 sequences for our 3 runs
    assert "**Table 1: static scenes (paper: 55 sequences; ours: 3 runs)**" in md
    tex = to_latex(t1)
    assert "TRUMANS (paper) & 22.36" in tex and "Pene. \\%" in tex and "ZeroHSI $\\cdot$ test signal" in tex


def test_write_tables_and_bad_table_file(tmp_path, monkeypatch):
    paths = write_tables(build_tables([]), tmp_path)
    assert paths["table2"].read_bytes()[:4] == b"\x89PNG"
    bad = tmp_path / "bad.yaml"
    bad.write_text("t:\n  title: x\n  columns: [{key: a, label: A}]\n  rows: {M: [1, 2]}\n")
    monkeypatch.setenv("ZEROHSI_PAPER_TABLES", str(bad))
    with pytest.raises(UserError, match="2 values for 1 columns"):
        load_paper_tables()
