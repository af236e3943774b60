"""The HTML report of a benchmark sweep: the paper's tables beside ours, each with its chart, ahead of the
per-run metrics of :func:`zerohsi.outputs.report.build_sweep_report`."""

from __future__ import annotations

import os
from pathlib import Path


def write_sweep_report(root: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """``ROOT/report.html`` (or ``out``) of the sweep or run folder ``root``."""
    from zerohsi.bench.tables import sweep_tables, table_figure, to_html
    from zerohsi.outputs.report import build_sweep_report, figure_png

    lead = [(t.title, to_html(t) + figure_png(table_figure(t)), t.key) for t in sweep_tables(Path(root))]
    return build_sweep_report(root, out, lead=lead)
