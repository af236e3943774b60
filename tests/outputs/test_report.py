"""The HTML report: self-contained, and checked in headless Chromium (skipped when chromium is not installed)."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from zerohsi.outputs.report import build_report, build_sweep_report, flatten_metrics, timing_rows


@pytest.fixture(scope="module")
def report(run_dir, tiny_body):
    from run_folder import toy_scene_and_object

    scene, obj = toy_scene_and_object()
    return build_report(run_dir, body_model=tiny_body, scene=scene, obj=obj)


def test_report_is_self_contained(report):
    text = report.read_text()
    assert text.count("data:video/mp4;base64,") == 2  # overlay + source (no orbit in this run)
    assert text.count("data:image/png;base64,") == 4  # losses, trajectories, per-frame errors, contact/penetration
    assert "Per-frame error against the ground truth" in text  # the fixture's ground truth is offset by 5 cm
    assert not re.search(r"""(src|href)=["']https?://""", text)  # nothing fetched from the network
    for needle in ("pene_mean", "0.0866", "fit_hsi", "Resolved config", "scripted test signal",
                   "a person picks up the box"):
        assert needle in text, needle


def test_report_without_body_model_still_renders(run_dir, tmp_path):
    out = build_report(run_dir, tmp_path / "r.html")  # 'tiny' is not a registered body model: plots degrade
    text = out.read_text()
    assert "Joint trajectories" in text and "Contact and penetration" not in text


def test_timings_per_stage_from_the_runners_nested_layout():
    nested = {"seconds": {"segment": 2.0, "fit_hsi": 10.0}, "seconds_per_frame": {"segment": 0.5, "fit_hsi": 2.5},
              "frames": 4, "device": "cpu"}
    assert timing_rows(nested) == [("segment", 2.0, 0.5), ("fit_hsi", 10.0, 2.5)]
    assert timing_rows({"fit_hsi": 1.5}) == [("fit_hsi", 1.5, "")]


def test_frame_errors_follow_the_ground_truth_offset(run_dir, tiny_body):
    from zerohsi.outputs.frame_errors import frame_errors
    from zerohsi.outputs.run import RunFolder

    run = RunFolder(run_dir)
    errors = frame_errors(run.motion, run.ground_truth, tiny_body)
    assert list(errors)[:3] == ["mpjpe_mm", "root_err_cm", "orient_err_deg"]
    np.testing.assert_allclose(errors["root_err_cm"], 5.0 * np.sqrt(3), rtol=1e-5)  # transl + 5 cm on each axis
    np.testing.assert_allclose(errors["orient_err_deg"], 0.0, atol=1e-4)
    assert errors["obj_transl_err_cm"].max() < 1e-6  # the same object poses


def test_flatten_metrics_accepts_both_layouts():
    assert flatten_metrics({"a": 1, "b": {"c": 2.5}}) == ({"a": 1.0, "b.c": 2.5}, {})
    vals, skipped = flatten_metrics({"values": {"x": 3}, "skipped": {"clip": "no weights"}})
    assert vals == {"x": 3.0} and skipped == {"clip": "no weights"}


def test_sweep_report(run_dir, tmp_path, tiny_motion):
    from run_folder import make_run_folder

    make_run_folder(tmp_path / "inst_a" / "s0", tiny_motion.slice(0, 4))
    make_run_folder(tmp_path / "inst_a" / "s1", tiny_motion.slice(0, 5))
    (tmp_path / "inst_a" / "s1" / "metrics.json").write_text('{"pene_mean": 0.5, "contact": 0.2}')
    out = build_sweep_report(tmp_path)
    text = out.read_text()
    assert "inst_a/s0" in text and "inst_a/s1" in text and "data:image/png;base64," in text
    mean_row = re.search(r'<tr class="mean">(.*?)</tr>', text).group(1)
    assert "0.31" in mean_row  # mean of pene_mean 0.12 and 0.5


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _headless(exe: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
           "--virtual-time-budget=8000", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def test_report_in_headless_chromium(report, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    url = report.resolve().as_uri()
    dom = _headless(exe, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", dom.stdout).group(1)
    assert 'data-videos="2"' in body and 'data-videos-loaded="2"' in body, body  # both mp4s decoded
    assert re.search(r'<div id="page-errors">\s*</div>', dom.stdout), "the page recorded errors"
    # the page logs nothing itself, so any console line (console.error, an uncaught exception) is a failure
    console = [ln for ln in dom.stderr.splitlines() if ":CONSOLE" in ln]
    assert not console, console

    shot = tmp_path / "shot.png"
    res = _headless(exe, f"--screenshot={shot}", "--window-size=1280,2400", url)
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    import imageio.v3 as iio

    img = iio.imread(shot)[..., :3].astype(float)
    assert img.std() > 20  # not blank
    # the plots are there: many pixels of matplotlib's default blue/orange lines
    blue = (np.abs(img - [31, 119, 180]).sum(-1) < 40).sum()
    assert blue > 500, blue
    # the embedded overlay video shows its frame (its gradient content, not a black box) near the top of the page
    top = img[150:700]
    assert (top[..., 0] > 150).sum() > 1000 and (top[..., 1] < 80).sum() > 1000
