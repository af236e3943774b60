"""The paper's Tables 1, 2 and 4 with zerohsi's own numbers beside the published rows: Markdown, LaTeX, PNG plots."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from zerohsi.errors import UserError
from zerohsi.io import atomic_path, atomic_write_text

PAPER_TABLES_ENV = "ZEROHSI_PAPER_TABLES"
MISSING = "–"


def paper_tables_path() -> Path:
    env = os.environ.get(PAPER_TABLES_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "benchmarks" / "paper_tables.yaml"


@dataclass
class Column:
    key: str
    label: str
    better: str  # higher | lower

    @property
    def arrow(self) -> str:
        return "↑" if self.better == "higher" else "↓"


@dataclass
class Row:
    """One table row. Ours: ``name`` says what the runs are: the paper table's method name only for runs of the
    paper's setup, else the method name and the setup label ("ZeroHSI · test signal · fast · anny")."""

    name: str
    source: str  # "paper" | "ours"
    values: list[Optional[float]]
    n: int = 0  # runs averaged (ours)
    #: per column, why no run of this row has the value (the metric was skipped), else None
    skipped: list[Optional[str]] = field(default_factory=list)
    paper_setup: bool = False

    def skip_reason(self, i: int) -> Optional[str]:
        return self.skipped[i] if i < len(self.skipped) else None


@dataclass
class Table:
    key: str
    title: str
    split: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: sequences behind the paper's rows (the caption says it beside our run count)
    paper_sequences: Optional[int] = None

    @property
    def caption(self) -> str:
        """The title with the counts behind each side: never a sequence count our runs do not have."""
        ours = sum(r.n for r in self.rows if r.source == "ours")
        parts = []
        if self.paper_sequences:
            parts.append(f"paper: {self.paper_sequences} sequences")
        parts.append(f"ours: {ours} run{'s' if ours != 1 else ''}")
        return f"{self.title} ({'; '.join(parts)})"


def load_paper_tables(path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = Path(path or paper_tables_path())
    try:
        data = yaml.safe_load(path.read_text())
    except OSError:
        raise UserError(f"Paper table file '{path}' cannot be read; set {PAPER_TABLES_ENV} to its path.") from None
    if not isinstance(data, dict):
        raise UserError(f"Paper table file '{path}' must map table names to tables.")
    for name, t in data.items():
        for method, vals in t["rows"].items():
            if len(vals) != len(t["columns"]):
                raise UserError(f"{path}: {name} row '{method}' has {len(vals)} values for {len(t['columns'])} "
                                "columns; fix the row.")
    return data


def _mean(values: list[float]) -> Optional[float]:
    vals = [v for v in values if v is not None and isinstance(v, (int, float)) and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def _matches(row: dict[str, Any], split: str, select: dict[str, Any], exclude_scenes: Iterable[str] = ()) -> bool:
    if row.get("status") != "ok" or row.get("scene") in set(exclude_scenes):
        return False
    dynamic = bool(row.get("dynamic"))
    if (split == "dynamic") != dynamic:
        return False
    return all(row.get(k) == v for k, v in select.items())


def registered_columns(host=None) -> tuple[dict[str, str], dict[str, list[dict[str, Any]]]]:
    """(value key -> the metric that produces it, table key -> extra columns metrics ask for) from the metric
    registrations; ``"all"`` collects the columns meant for every table."""
    from zerohsi.plugins import get_host

    owner: dict[str, str] = {}
    extra: dict[str, list[dict[str, Any]]] = {}
    for entry in (host or get_host()).registry("metric").entries.values():
        for col in entry.columns:
            owner[col["key"]] = entry.name
            for t in col.get("tables") or ():
                extra.setdefault(t, []).append(col)
    return owner, extra


def _skip_reason(picked: list[dict[str, Any]], key: str, owner: dict[str, str]) -> Optional[str]:
    """Why none of ``picked`` has ``key``: the reason its metric was skipped (the commonest one), else None."""
    from collections import Counter

    from zerohsi.bench.results import SKIPPED_PREFIX

    metric = owner.get(key, key)
    reasons = Counter(str(r[SKIPPED_PREFIX + metric]) for r in picked if r.get(SKIPPED_PREFIX + metric))
    return reasons.most_common(1)[0][0] if reasons else None


def _groups(picked: list[dict[str, Any]]) -> list[tuple[bool, str, list[dict[str, Any]]]]:
    """Runs split by setup: the paper's first, then each other setup label in order of first appearance."""
    groups: dict[tuple[bool, str], list[dict[str, Any]]] = {}
    for r in picked:
        groups.setdefault((bool(r.get("paper_setup")), str(r.get("setup_label") or "")), []).append(r)
    return [(ps, label, rs) for (ps, label), rs in sorted(groups.items(), key=lambda kv: not kv[0][0])]


def build_tables(rows: list[dict[str, Any]], paper: Optional[dict[str, Any]] = None, host=None) -> list[Table]:
    """Paper rows followed by our means over matching successful runs (tidy rows from :mod:`zerohsi.bench.results`).

    Only runs of the paper's setup (``paper_setup``) make the row named as in the paper; every other setup gets
    its own row labelled with what it is. Columns that registered metrics ask for are added after the paper's
    (with no paper values); a cell none of whose runs has the value carries the reason its metric was skipped.
    """
    paper = paper if paper is not None else load_paper_tables()
    owner, extra = registered_columns(host)
    tables = []
    for key, spec in paper.items():
        cols = [Column(c["key"], c["label"], c.get("better", "higher")) for c in spec["columns"]]
        for c in [*extra.get(key, []), *extra.get("all", [])]:
            if c["key"] not in {col.key for col in cols}:
                cols.append(Column(c["key"], c.get("label", c["key"]), c.get("better", "higher")))
        table = Table(key, spec["title"], spec.get("split", "static"), cols, notes=list(spec.get("notes") or []),
                      paper_sequences=spec.get("sequences"))
        for method, vals in spec["rows"].items():
            values = [None if v is None else float(v) for v in vals]
            table.rows.append(Row(method, "paper", values + [None] * (len(cols) - len(values))))
        for method, select in (spec.get("ours") or {}).items():
            picked = [r for r in rows if _matches(r, table.split, select, spec.get("exclude_scenes") or ())]
            for paper_setup, label, group in _groups(picked):
                name = method if paper_setup else f"{method} · {label or 'unknown setup'}"
                values = [_mean([r.get(c.key) for r in group]) for c in cols]
                skipped = [None if v is not None else _skip_reason(group, c.key, owner)
                           for v, c in zip(values, cols, strict=True)]
                table.rows.append(Row(name, "ours", values, len(group), skipped, paper_setup))
        table.notes += _skip_notes(table)
        tables.append(table)
    return tables


def _skip_notes(table: Table) -> list[str]:
    notes = []
    for row in table.rows:
        for i, col in enumerate(table.columns):
            reason = row.skip_reason(i)
            if reason:
                notes.append(f"{col.label} skipped for {_label(row)}: {reason}")
    return list(dict.fromkeys(notes))


SKIPPED = "skipped"


def _fmt(v: Optional[float]) -> str:
    if v is None:
        return MISSING
    return f"{v:.4f}" if abs(v) < 10 else f"{v:.2f}"


def _cell(row: Row, i: int) -> str:
    v = row.values[i]
    if v is None and row.skip_reason(i):
        return SKIPPED
    return _fmt(v)


def _label(row: Row) -> str:
    return f"{row.name} (paper)" if row.source == "paper" else f"{row.name} (ours, n={row.n})"


def to_markdown(table: Table) -> str:
    head = ["Method", *[f"{c.label} {c.arrow}" for c in table.columns]]
    lines = [f"**{table.caption}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table.rows:
        lines.append("| " + " | ".join([_label(row), *[_cell(row, i) for i in range(len(row.values))]]) + " |")
    if table.notes:
        lines += ["", *[f"- {n}" for n in table.notes]]
    return "\n".join(lines) + "\n"


def _tex(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"),
                 ("·", r"$\cdot$")):
        s = s.replace(a, b)
    return s


def to_latex(table: Table) -> str:
    arrows = {"higher": r"$\uparrow$", "lower": r"$\downarrow$"}
    lines = [r"\begin{table}[t]", r"\centering", r"\caption{" + _tex(table.caption) + "}",
             r"\begin{tabular}{l" + "c" * len(table.columns) + "}", r"\toprule",
             " & ".join(["Method", *[f"{_tex(c.label)} {arrows[c.better]}" for c in table.columns]]) + r" \\",
             r"\midrule"]
    for row in table.rows:
        cells = [_tex(_label(row)), *[("--" if v is None and not row.skip_reason(i) else _cell(row, i))
                                      for i, v in enumerate(row.values)]]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.notes:
        lines.append(r"\par\footnotesize " + " ".join(_tex(n) for n in table.notes))
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def table_figure(table: Table):
    """One bar chart per column, paper rows solid and ours hatched, as a matplotlib Figure (no pyplot state)."""
    from matplotlib.figure import Figure

    n = len(table.columns)
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    # long row labels (setup labels) hang below each chart: make room for them
    label_in = 0.065 * max((len(_label(r)) for r in table.rows), default=0)
    fig = Figure(figsize=(3.2 * ncols, (2.2 + label_in) * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    import matplotlib

    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    names = list(dict.fromkeys(r.name for r in table.rows))
    for i, col in enumerate(table.columns):
        ax = axes[i // ncols][i % ncols]
        for j, row in enumerate(table.rows):
            v = row.values[i]
            ax.bar(j, 0.0 if v is None else v, color=colors[names.index(row.name) % len(colors)],
                   hatch="//" if row.source == "ours" else None, edgecolor="black", linewidth=0.5)
            if v is None:
                ax.text(j, 0, SKIPPED if row.skip_reason(i) else "n/a", ha="center", va="bottom", fontsize=7)
        ax.set_title(f"{col.label} {col.arrow}", fontsize=9)
        ax.set_xticks(range(len(table.rows)))
        ax.set_xticklabels([_label(r) for r in table.rows], fontsize=6, rotation=45, ha="right")
        ax.tick_params(axis="y", labelsize=7)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    fig.suptitle(table.caption, fontsize=10)
    return fig


def plot_table(table: Table, path: Path) -> Path:
    """:func:`table_figure` written atomically as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = table_figure(table)
    FigureCanvasAgg(fig)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return Path(path)


def to_html(table: Table) -> str:
    """The table as HTML (caption, header with arrows, rows, skipped cells marked, notes) for the sweep report."""
    import html

    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in ["Method", *[f"{c.label} {c.arrow}" for c in table.columns]])
    body = []
    for row in table.rows:
        cells = [f"<td>{e(_label(row))}</td>"]
        for i in range(len(row.values)):
            reason = row.skip_reason(i) if row.values[i] is None else None
            title = f' title="{e(reason)}"' if reason else ""
            cells.append(f'<td class="num"{title}>{e(_cell(row, i))}</td>')
        body.append(f'<tr class="{row.source}">{"".join(cells)}</tr>')
    notes = "".join(f"<li>{e(n)}</li>" for n in table.notes)
    return (f"<p><b>{e(table.caption)}</b></p><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"</table>" + (f'<ul class="note">{notes}</ul>' if notes else ""))


def sweep_tables(sweep_dir: Path) -> list[Table]:
    """The paper tables of a sweep folder's records (diversity across seeds included); [] for a folder that holds
    no benchmark records."""
    from zerohsi.bench.harness import add_diversity
    from zerohsi.bench.results import tidy_rows
    from zerohsi.bench.sweep import iter_records

    records = list(iter_records(sweep_dir))
    if not records:
        return []
    add_diversity(records)
    return build_tables(tidy_rows(records))


def write_tables(tables: list[Table], out_dir: Path, figures: bool = True) -> dict[str, Path]:
    """tables.md, tables.tex and (with ``figures``) <table>.png under ``out_dir``."""
    out_dir = Path(out_dir)
    atomic_write_text(out_dir / "tables.md", "\n".join(to_markdown(t) for t in tables))
    atomic_write_text(out_dir / "tables.tex", "\n".join(to_latex(t) for t in tables))
    paths = {"markdown": out_dir / "tables.md", "latex": out_dir / "tables.tex"}
    for t in tables if figures else ():
        paths[t.key] = plot_table(t, out_dir / f"{t.key}.png")
    return paths
