"""The tidy results table of a sweep: one row per run, written as CSV + JSON (+ Parquet when pandas/pyarrow exist)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from zerohsi.io import atomic_path, atomic_write_json, atomic_write_text

ID_COLUMNS = ("method", "variant", "instance", "scene", "seed", "suite", "dynamic", "status", "error", "run_dir",
              "config_hash", "wall_s", "paper_setup", "setup_label")
#: prefixes of the flattened columns: a skipped metric's reason, a provenance field
SKIPPED_PREFIX = "skipped_"
PROVENANCE_PREFIX = "prov_"


def tidy_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten records: identity columns, every metric key, ``skipped_<metric>`` (the reason a metric was not
    computed), ``prov_<field>`` (what produced the numbers) and ``time_<stage>`` timings."""
    rows = []
    for rec in records:
        row = {k: rec.get(k) for k in ID_COLUMNS}
        row.update({k: v for k, v in (rec.get("metrics") or {}).items()})
        row.update({f"{SKIPPED_PREFIX}{k}": v for k, v in (rec.get("skipped_metrics") or {}).items()})
        row.update({f"{PROVENANCE_PREFIX}{k}": _scalar(v) for k, v in (rec.get("provenance") or {}).items()})
        row.update({f"time_{k}": v for k, v in (rec.get("timings") or {}).items()})
        rows.append(row)
    return rows


def _scalar(v: Any) -> Any:
    """Lists (image size, refiners) as one CSV cell."""
    if isinstance(v, (list, tuple)):
        return "x".join(str(x) for x in v) if v and all(isinstance(x, int) for x in v) else ",".join(map(str, v))
    return v


def columns(rows: list[dict[str, Any]]) -> list[str]:
    extra = sorted({k for r in rows for k in r} - set(ID_COLUMNS))
    return [*ID_COLUMNS, *extra]


def write_results(records: list[dict[str, Any]], out_dir: Path, provenance: dict[str, Any]) -> dict[str, Path]:
    """results.csv, results.json ({provenance, runs}) and results.parquet (optional) in ``out_dir``."""
    out_dir = Path(out_dir)
    rows = tidy_rows(records)
    cols = columns(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in cols})
    paths = {"csv": out_dir / "results.csv", "json": out_dir / "results.json"}
    atomic_write_text(paths["csv"], buf.getvalue())
    atomic_write_json(paths["json"], {"provenance": provenance, "columns": cols,
                                      "runs": [{k: _json_value(r.get(k)) for k in cols} for r in rows]})
    try:
        import pandas as pd

        with atomic_path(out_dir / "results.parquet") as tmp:
            pd.DataFrame(rows, columns=cols).to_parquet(tmp)
        paths["parquet"] = out_dir / "results.parquet"
    except ImportError:
        pass
    return paths


def _csv_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return v


def _json_value(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v
