"""Self-contained HTML reports: one per run, one per benchmark sweep.

No network at view time: videos are embedded as base64 ``data:video/mp4`` URIs and plots as base64 PNGs (matplotlib,
Agg backend, no global pyplot state). A run report shows the videos, per-frame loss curves, the metric table, joint
trajectories (and per-frame errors when the source knows the true motion), contact and penetration over time, timings
per stage and the resolved config.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import os
import string
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

import zerohsi
from zerohsi.errors import UserError
from zerohsi.io import atomic_write_text
from zerohsi.outputs.run import RunFolder, find_runs

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from zerohsi.body.params import BodyModel
    from zerohsi.outputs.series import MotionSeries

log = logging.getLogger("zerohsi")

#: videos larger than this are linked instead of embedded (a report must stay openable)
MAX_EMBED_BYTES = 64 * 1024 * 1024
#: the run folder's videos, in display order, with captions
RUN_VIDEOS = (
    ("overlay.mp4", "source | re-rendered reconstruction | fitted body (red) and object (blue) over the source, "
                    "segmentation masks outlined (yellow: person, cyan: object)"),
    ("orbit.mp4", "free-viewpoint orbit of the 4D result"),
    ("video.mp4", "source video"),
)


# -- small HTML helpers ------------------------------------------------------------------------------------------
def _template() -> string.Template:
    text = resources.files("zerohsi.outputs").joinpath("templates/report.html").read_text(encoding="utf-8")
    return string.Template(text)


def _section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}">\n<h2>{html.escape(title)}</h2>\n{body}\n</section>'


def video_tag(path: Path, caption: str, vid: str, wide: bool = False) -> str:
    """A <figure> with the mp4 embedded as a data URI (or linked when it is too large to embed)."""
    size = path.stat().st_size
    if size > MAX_EMBED_BYTES:
        return (f'<figure><a href="{html.escape(path.name)}">{html.escape(path.name)}</a>'
                f'<figcaption>{html.escape(caption)} (too large to embed: {size / 1e6:.0f} MB)</figcaption></figure>')
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    cls = ' class="wide"' if wide else ""
    return (f'<figure{cls}><video id="{vid}" controls loop muted autoplay playsinline preload="auto" '
            f'src="data:video/mp4;base64,{data}"></video>'
            f'<figcaption>{html.escape(caption)}</figcaption></figure>')


def figure_png(fig: Figure) -> str:
    """A matplotlib Figure as an <img> with a base64 PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)  # constrained layout already fits the labels
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="plot" alt="plot" src="data:image/png;base64,{data}">'


def _new_figure(w: float, h: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return html.escape(str(v))
    if isinstance(v, float) and not math.isfinite(v):
        return "n/a"
    if isinstance(v, int):
        return str(v)
    return f"{v:.4g}"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], row_classes: Optional[Sequence[str]] = None) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="num">{_fmt(c)}</td>' if isinstance(c, (int, float)) and not isinstance(c, bool)
                        else f"<td>{_fmt(c)}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def flatten_metrics(metrics: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """metrics.json -> (name -> value, skipped name -> reason); accepts flat dicts or {values, skipped}."""
    if "values" in metrics and isinstance(metrics["values"], dict):
        values, skipped = metrics["values"], metrics.get("skipped") or {}
    else:
        values, skipped = metrics, {}
    flat: dict[str, float] = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(f"{prefix}.{k}" if prefix else str(k), x)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat[prefix] = float(v)
        elif v is None:
            flat[prefix] = float("nan")

    walk("", {k: v for k, v in values.items() if k != "skipped"})
    if isinstance(values.get("skipped"), dict):
        skipped = {**values["skipped"], **skipped}
    return flat, {str(k): str(v) for k, v in skipped.items()}


# -- plots ---------------------------------------------------------------------------------------------------------
def loss_figure(losses: dict[str, Any]) -> Optional[Figure]:
    """Per-frame final loss of each optimisation stage, and every frame's per-iteration curve."""
    stages = {k: [np.asarray(f, dtype=float).reshape(-1) for f in v if len(f)] for k, v in losses.items()
              if isinstance(v, list) and v and all(isinstance(f, list) for f in v)}
    stages = {k: v for k, v in stages.items() if v}
    if not stages:
        return None
    fig = _new_figure(11, 3.2 * len(stages))
    axes = fig.subplots(len(stages), 2, squeeze=False)
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    for row, (name, frames) in enumerate(stages.items()):
        ax_final, ax_iter = axes[row]
        ax_final.plot([f[-1] for f in frames], marker="o", ms=3, label="last iteration")
        ax_final.plot([f[0] for f in frames], ls="--", alpha=0.6, label="first iteration")
        ax_final.set(title=f"{name}: loss per frame", xlabel="frame", ylabel="loss")
        ax_final.legend(fontsize=8)
        for i, f in enumerate(frames):
            ax_iter.plot(f, color=cmap(i / max(1, len(frames) - 1)), lw=0.8, alpha=0.7)
        ax_iter.set(title=f"{name}: loss per iteration (colour = frame)", xlabel="iteration", ylabel="loss")
        if all((f > 0).all() for f in frames):
            ax_iter.set_yscale("log")
    return fig


def trajectory_figure(series: MotionSeries, truth: Optional[MotionSeries] = None) -> Figure:
    """x/y/z of the tracked joints over time (ground truth dashed when the source has it)."""
    from matplotlib import colormaps

    fig = _new_figure(11, 6.5)
    axes = fig.subplots(3, 1, sharex=True)
    colors = colormaps["tab10"]
    for i, (name, xyz) in enumerate(series.joints.items()):
        for a, ax in enumerate(axes):
            ax.plot(series.time, xyz[:, a], color=colors(i), lw=1.4, label=name if a == 0 else None)
            if truth is not None and name in truth.joints:
                n = min(len(truth.time), len(series.time))
                ax.plot(truth.time[:n], truth.joints[name][:n, a], color=colors(i), lw=1, ls="--", alpha=0.7)
    for a, ax in enumerate(axes):
        ax.set_ylabel(f"{'xyz'[a]} (m)")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (s)")
    axes[0].legend(fontsize=8, ncol=6, loc="upper left")
    axes[0].set_title("joint trajectories (world, +Z up)" + (" — dashed: ground truth" if truth else ""))
    return fig


def interaction_figure(series: MotionSeries) -> Optional[Figure]:
    """Scene penetration and hand–object distance (with the contact threshold) over time."""
    rows = [r for r in (series.penetration_m, series.hand_object_m) if r is not None]
    if not rows:
        return None
    fig = _new_figure(11, 2.6 * len(rows))
    axes = list(np.atleast_1d(fig.subplots(len(rows), 1, sharex=True)))
    if series.penetration_m is not None:
        ax = axes.pop(0)
        ax.fill_between(series.time, series.penetration_m, color="tab:red", alpha=0.35)
        ax.plot(series.time, series.penetration_m, color="tab:red")
        ax.set(title="scene penetration per frame (Σ over body vertices of |min(sdf, 0)|)", ylabel="m")
        ax.grid(alpha=0.3)
    if series.hand_object_m is not None:
        ax = axes.pop(0)
        d = series.hand_object_m
        ax.plot(series.time, d, color="tab:blue", label="nearest hand to object surface")
        ax.axhline(series.contact_threshold_m, color="k", ls=":", label=f"contact < {series.contact_threshold_m} m")
        ax.fill_between(series.time, d.min(initial=0), d.max(initial=0), where=d < series.contact_threshold_m,
                        color="tab:green", alpha=0.2, label="in contact")
        ax.set(title="hand–object distance", ylabel="m", xlabel="time (s)")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig


def frame_error_figure(errors: dict[str, np.ndarray], fps: float) -> Optional[Figure]:
    """One panel per per-frame error (zerohsi.outputs.frame_errors), with its mean dotted: where the fit went wrong."""
    if not errors:
        return None
    fig = _new_figure(11, 2.1 * len(errors))
    axes = list(np.atleast_1d(fig.subplots(len(errors), 1, sharex=True)))
    for ax, (name, values) in zip(axes, errors.items(), strict=True):
        t = np.arange(len(values)) / float(fps or 1.0)
        ax.plot(t, values, color="tab:red", marker="o", ms=2.5, lw=1.2)
        ax.axhline(float(np.mean(values)), color="k", ls=":", lw=1, label=f"mean {np.mean(values):.3g}")
        ax.set_ylabel(name, fontsize=8)
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(alpha=0.3)
    axes[0].set_title("error against the ground truth, per frame")
    axes[-1].set_xlabel("time (s)")
    return fig


def timing_rows(timings: dict[str, Any]) -> list[tuple[str, float, Any]]:
    """(stage, seconds, seconds per frame or "") rows of timings.json: the runner's nested {"seconds": {...},
    "seconds_per_frame": {...}} or a flat stage -> seconds mapping."""
    seconds = timings.get("seconds") if isinstance(timings.get("seconds"), dict) else timings
    per_frame = timings.get("seconds_per_frame") if isinstance(timings.get("seconds_per_frame"), dict) else {}
    return [(k, float(v), float(per_frame[k]) if isinstance(per_frame.get(k), (int, float)) else "")
            for k, v in seconds.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]


# -- the run report ------------------------------------------------------------------------------------------------
def _try_body_model(run: RunFolder) -> Optional[BodyModel]:
    try:
        return run.body_model
    except UserError as exc:
        log.warning("report without body-model plots: %s", exc)
        return None


def run_report_html(run: RunFolder, *, body_model: Optional[BodyModel] = None, scene=None, obj=None,
                    compute_series: bool = True) -> str:
    """The HTML text of a run's report (see :func:`build_report`)."""
    from zerohsi.outputs.series import motion_series

    motion = run.motion
    cfg = run.config
    prov = dict(motion.provenance)
    prompt = prov.get("prompt") or (cfg.instance.prompt if cfg else None) or ""
    generator = prov.get("generator") or (cfg.video.generator.name if cfg else "")
    bits = [f"{len(motion)} frames at {motion.fps:g} fps", f"body: {motion.body_model}"]
    if cfg is not None:
        bits += [f"instance: {cfg.instance.label}", f"seed: {cfg.seed}"]
    geometry = (getattr(scene, "info", None) or {}).get("geometry")
    if geometry:  # what the penetration / contact metrics measured against
        from zerohsi.scenes.scene import GEOMETRY_SOURCES

        bits.append(f"scene geometry: {GEOMETRY_SOURCES.get(geometry, geometry)}")
    if generator:
        bits.append(f"video: {generator}" + (" (scripted test signal, not a generated video)"
                                             if generator == "scripted" else ""))
    sections = []

    vids = [video_tag(p, caption, f"video-{i}", wide=(name == "overlay.mp4"))
            for i, (name, caption) in enumerate(RUN_VIDEOS) if (p := run.file(name)) is not None]
    sections.append(_section("Videos", f'<div class="videos">{"".join(vids)}</div>' if vids else
                             '<p class="note">This run folder holds no videos.</p>', "videos"))

    values, skipped = flatten_metrics(run.metrics)
    body = table(["metric", "value"], sorted(values.items())) if values else '<p class="note">No metrics.</p>'
    if skipped:
        body += "<p class=\"note\">Skipped: " + "; ".join(f"{html.escape(k)} ({html.escape(v)})"
                                                          for k, v in sorted(skipped.items())) + "</p>"
    sections.append(_section("Metrics", body, "metrics"))

    fig = loss_figure(run.losses)
    sections.append(_section("Optimisation losses", figure_png(fig) if fig is not None else
                             '<p class="note">No losses recorded.</p>', "losses"))

    if compute_series:
        bm = body_model if body_model is not None else _try_body_model(run)
        series = motion_series(motion, bm, scene, obj)
        truth = motion_series(run.ground_truth, bm) if (run.ground_truth is not None and bm is not None) else None
        sections.append(_section("Joint trajectories", figure_png(trajectory_figure(series, truth)), "trajectories"))
        if run.ground_truth is not None:
            from zerohsi.outputs.frame_errors import frame_errors

            fig = frame_error_figure(frame_errors(motion, run.ground_truth, bm), motion.fps)
            if fig is not None:
                sections.append(_section("Per-frame error against the ground truth", figure_png(fig), "errors"))
        fig = interaction_figure(series)
        if fig is not None:
            sections.append(_section("Contact and penetration over time", figure_png(fig), "interaction"))

    rows = timing_rows(run.timings or {})
    if rows:
        note = ""
        if isinstance(run.timings.get("device"), str):
            note = f'<p class="note">device: {html.escape(run.timings["device"])}</p>'
        sections.append(_section("Timings per stage", table(["stage", "seconds", "seconds per frame"], rows) + note,
                                 "timings"))

    cfg_file = run.file("config.yaml")
    if cfg_file is not None:
        sections.append(_section("Resolved config", f"<pre>{html.escape(cfg_file.read_text())}</pre>", "config"))

    title = f"zerohsi run: {run.name}"
    subtitle = html.escape((f"“{prompt}” — " if prompt else "") + " · ".join(bits))
    return _template().substitute(title=html.escape(title), subtitle=subtitle, sections="\n".join(sections),
                                  version=html.escape(zerohsi.__version__))


def build_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None, *,
                 body_model: Optional[BodyModel] = None, scene=None, obj=None, compute_series: bool = True) -> Path:
    """Write ``RUN_DIR/report.html`` (or ``out``) atomically and return its path.

    body_model / scene / obj: pass them when the caller has them (the pipeline does); otherwise the body model is
    built from the run's config and the penetration / contact plots are left out unless scene / obj are given.
    """
    run = RunFolder(run_dir)
    path = Path(out) if out is not None else run.path / "report.html"
    atomic_write_text(path, run_report_html(run, body_model=body_model, scene=scene, obj=obj,
                                            compute_series=compute_series))
    return path


def _nanmean(values) -> float:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


# -- the sweep report ---------------------------------------------------------------------------------------------
def sweep_rows(runs: Sequence[RunFolder]) -> tuple[list[str], list[dict[str, float]]]:
    """(metric names, per-run name -> value) over every metric any run reports."""
    per_run = [flatten_metrics(r.metrics)[0] for r in runs]
    names = sorted({k for m in per_run for k in m})
    return names, per_run


def build_sweep_report(root: str | os.PathLike, out: str | os.PathLike | None = None, *,
                       lead: Sequence[tuple[str, str, str]] = ()) -> Path:
    """Write ``ROOT/report.html`` summarising every run folder below ``root``: metric table (with means), a plot
    per metric across runs, and links to each run's own report. ``lead``: (title, HTML, anchor) sections put ahead
    of those (a benchmark sweep's paper tables: :func:`zerohsi.bench.report.write_sweep_report`)."""
    root = Path(root)
    paths = find_runs(root)
    if not paths:
        raise UserError(f"No run folders (with motion.npz) under '{root}'; pass a run or sweep folder.")
    runs = [RunFolder(p) for p in paths]
    names, per_run = sweep_rows(runs)
    label = [str(r.path.relative_to(root)) if r.path != root else r.name for r in runs]
    rows = []
    for lab, r, m in zip(label, runs, per_run, strict=True):
        rep = r.file("report.html")
        link = f'<a href="{html.escape(str(rep.relative_to(root)))}">{html.escape(lab)}</a>' if rep else lab
        rows.append([link] + [m.get(n, float("nan")) for n in names])
    means = [_nanmean([m.get(n, np.nan) for m in per_run]) for n in names]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["run"] + names)
    body_rows = []
    for row in rows:
        cells = [f"<td>{row[0]}</td>"] + [f'<td class="num">{_fmt(v)}</td>' for v in row[1:]]
        body_rows.append(f"<tr>{''.join(cells)}</tr>")
    body_rows.append('<tr class="mean"><td>mean</td>' + "".join(f'<td class="num">{_fmt(v)}</td>' for v in means)
                     + "</tr>")
    sections = [_section(f"Metrics over {len(runs)} runs",
                         f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table>",
                         "metrics")]
    if names:
        cols = min(3, len(names))
        nrows = math.ceil(len(names) / cols)
        fig = _new_figure(4 * cols, 2.8 * nrows)
        axes = np.atleast_1d(fig.subplots(nrows, cols)).reshape(-1)
        x = np.arange(len(runs))
        for ax, n in zip(axes[:len(names)], names, strict=True):
            vals = np.array([m.get(n, np.nan) for m in per_run])
            ax.bar(x, np.nan_to_num(vals), color="tab:blue")
            ax.axhline(np.nan_to_num(_nanmean(vals)), color="k", ls=":", lw=1)
            ax.set_title(n, fontsize=9)
            ax.set_xticks(x, [str(i) for i in x], fontsize=7)
        for ax in axes[len(names):]:
            ax.set_visible(False)
        sections.append(_section("Per-metric values (x: run number in the table, dotted: mean)", figure_png(fig),
                                 "plots"))
    sections[:0] = [_section(title, body, anchor) for title, body, anchor in lead]
    path = Path(out) if out is not None else root / "report.html"
    text = _template().substitute(title=html.escape(f"zerohsi sweep: {root.name}"),
                                  subtitle=html.escape(f"{len(runs)} runs"), sections="\n".join(sections),
                                  version=html.escape(zerohsi.__version__))
    atomic_write_text(path, text)
    return path
