"""INRIA 3DGS ``.ply`` files: reading and writing Gaussian splats.

The format (written by the reference 3DGS trainer, nerfstudio's splatfacto exporter and gsplat's exporter) is one
``vertex`` element with per-Gaussian properties: ``x y z``, optional ``nx ny nz`` (ignored), ``f_dc_0..2`` (SH DC),
``f_rest_*`` (higher SH bands, **channel-major**: all R coefficients, then G, then B), ``opacity`` (logit),
``scale_0..2`` (log std-devs) and ``rot_0..3`` (wxyz, not necessarily normalised). nerfstudio writes degree-0 models
as ``red green blue`` uchar colours instead of ``f_dc_*``; those load as (N,3) RGB features.

Loading maps the file without copying it (numpy structured dtype over a memory map), validates every property and
activates the values (exp, sigmoid, normalise). Bad files raise :class:`~zerohsi.errors.UserError` naming the
property and the number of bad rows. Round trips are exact: a file with unit quaternions loaded with
``dtype=torch.float64`` and saved again reproduces its float32 values bit for bit; float32 Gaussians saved and
reloaded agree to float32 precision (activations are computed in float64).
"""

from __future__ import annotations

import mmap
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from zerohsi.errors import UserError
from zerohsi.gaussians import SH_C0, Gaussians

_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2", "ushort": "u2",
    "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4", "float": "f4", "float32": "f4",
    "double": "f8", "float64": "f8",
}
_FORMATS = {"binary_little_endian": "<", "binary_big_endian": ">", "ascii": None}
#: more Gaussians than this in one file is treated as a corrupt header rather than a scene
MAX_GAUSSIANS = 200_000_000
_MAX_HEADER_BYTES = 1 << 20
#: |log scale| beyond this (e^30 m or e^-30 m) is not a real splat but corrupt data
_MAX_ABS_LOG_SCALE = 30.0


@dataclass
class PlyElement:
    name: str
    count: int
    properties: list[tuple[str, str]] = field(default_factory=list)  # (name, numpy type code)
    has_list: bool = False


@dataclass
class PlyHeader:
    format: str
    elements: list[PlyElement]
    header_bytes: int
    comments: list[str] = field(default_factory=list)


def _bad(path: Path, what: str) -> UserError:
    return UserError(f"{path.name}: {what}")


def read_header(path: str | os.PathLike, head: bytes | None = None) -> PlyHeader:
    """Parse a PLY header (never reads past ``end_header``)."""
    path = Path(path)
    if head is None:
        try:
            with open(path, "rb") as f:
                head = f.read(_MAX_HEADER_BYTES)
        except OSError as exc:
            raise UserError(f"Cannot read {path}: {exc.strerror or exc}; check the path.") from None
    if not head.startswith(b"ply"):
        raise _bad(path, "not a PLY file (it does not start with 'ply'); give a 3DGS .ply file.")
    end = re.search(rb"end_header\r?\n", head)
    if end is None:
        raise _bad(path, "PLY header has no 'end_header' line (file truncated or not a PLY); re-export the file.")
    lines = head[:end.start()].decode("ascii", errors="replace").splitlines()
    fmt, elements, comments = None, [], []
    for raw in lines[1:]:
        parts = raw.split()
        if not parts:
            continue
        key = parts[0]
        if key == "format":
            if len(parts) < 2 or parts[1] not in _FORMATS:
                raise _bad(path, f"unsupported PLY format {' '.join(parts[1:])!r}; use binary or ascii PLY.")
            fmt = parts[1]
        elif key in ("comment", "obj_info"):
            comments.append(raw[len(key):].strip())
        elif key == "element":
            try:
                count = int(parts[2])
            except (IndexError, ValueError):
                raise _bad(path, f"bad PLY element line {raw!r}; re-export the file.") from None
            if count < 0 or count > MAX_GAUSSIANS:
                raise _bad(path, f"element '{parts[1]}' claims {count} rows, an absurd size; the header is corrupt.")
            elements.append(PlyElement(parts[1], count))
        elif key == "property":
            if not elements:
                raise _bad(path, "PLY property before any element; the header is corrupt.")
            if len(parts) >= 2 and parts[1] == "list":
                elements[-1].has_list = True
                elements[-1].properties.append((parts[-1], "list"))
                continue
            if len(parts) != 3 or parts[1] not in _PLY_TYPES:
                raise _bad(path, f"unknown PLY property type in {raw.strip()!r}; use float properties.")
            elements[-1].properties.append((parts[2], _PLY_TYPES[parts[1]]))
    if fmt is None:
        raise _bad(path, "PLY header has no format line; re-export the file.")
    return PlyHeader(fmt, elements, end.end(), comments)


def _vertex_table(path: Path, header: PlyHeader) -> np.ndarray:
    """The vertex element as a structured array (a view of a memory map for binary files)."""
    names = [e.name for e in header.elements]
    if "vertex" not in names:
        raise _bad(path, f"PLY has no 'vertex' element (elements: {', '.join(names) or 'none'}); "
                         "give a 3D Gaussian splat .ply.")
    vi = names.index("vertex")
    vertex = header.elements[vi]
    if vertex.has_list:
        raise _bad(path, "the vertex element has list properties, which 3DGS files never have; re-export it.")
    seen = set()
    for name, _ in vertex.properties:
        if name in seen:
            raise _bad(path, f"property '{name}' appears twice in the vertex element; the header is corrupt.")
        seen.add(name)
    if header.format == "ascii":
        return _ascii_vertex_table(path, header, vi)
    order = _FORMATS[header.format]
    offset = header.header_bytes
    for e in header.elements[:vi]:
        if e.has_list:
            raise _bad(path, f"element '{e.name}' before the vertices has list properties; cannot skip it.")
        offset += e.count * np.dtype([(n, order + t) for n, t in e.properties]).itemsize
    dtype = np.dtype([(n, order + t) for n, t in vertex.properties])
    size = os.path.getsize(path)
    need = offset + vertex.count * dtype.itemsize
    if size < need:
        rows = max(0, (size - offset) // max(dtype.itemsize, 1))
        raise _bad(path, f"file is truncated: the header promises {vertex.count} Gaussians but only {rows} complete "
                         f"rows are present ({size} of {need} bytes); re-export or re-download it.")
    if vertex.count == 0 or dtype.itemsize == 0:
        return np.zeros(0, dtype=dtype)
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(mm, dtype=dtype, count=vertex.count, offset=offset)


def _ascii_vertex_table(path: Path, header: PlyHeader, vi: int) -> np.ndarray:
    vertex = header.elements[vi]
    if any(e.has_list for e in header.elements[:vi]):
        raise _bad(path, "an element before the vertices has list properties; cannot skip it.")
    skip = sum(e.count for e in header.elements[:vi])
    with open(path, "rb") as f:
        f.seek(header.header_bytes)
        text = f.read().decode("ascii", errors="replace").split("\n")
    rows = [ln for ln in text[skip:skip + vertex.count] if ln.strip()]
    if len(rows) < vertex.count:
        raise _bad(path, f"file is truncated: the header promises {vertex.count} Gaussians but only {len(rows)} "
                         "rows are present; re-export it.")
    dtype = np.dtype([(n, "<" + t) for n, t in vertex.properties])
    ncols = len(vertex.properties)
    out = np.zeros(vertex.count, dtype=dtype)
    try:
        vals = np.array([ln.split() for ln in rows], dtype=np.float64)
    except ValueError:
        bad = sum(1 for ln in rows if len(ln.split()) != ncols)
        raise _bad(path, f"{bad or 'some'} ASCII rows do not hold {ncols} numbers; re-export the file.") from None
    if vals.ndim != 2 or vals.shape[1] != ncols:
        raise _bad(path, f"ASCII rows do not hold {ncols} numbers each; re-export the file.")
    for i, (n, _) in enumerate(vertex.properties):
        out[n] = vals[:, i]
    return out


def _sh_rest_names(props: list[str]) -> list[str]:
    rest = sorted((p for p in props if p.startswith("f_rest_")), key=lambda p: int(p[7:]) if p[7:].isdigit() else -1)
    return rest


def load_ply(path: str | os.PathLike, *, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu",
             drop_invalid: bool = False, group: int | None = None,
             invalid_hint: str = "fix the file (repair or remove those rows) and try again") -> Gaussians:
    """Read a 3DGS ``.ply`` into activated :class:`Gaussians` (SH colours (N,K,3), or RGB (N,3) for red/green/blue).

    ``drop_invalid`` removes rows with NaN/inf values, zero-norm quaternions or absurd scales instead of raising
    (whose message ends with ``invalid_hint``: a command with a --drop-invalid flag says so there);
    ``group`` sets every Gaussian's group id.
    """
    g, problems, n_rows = _load(Path(path), dtype, device, drop_invalid)
    if problems and not drop_invalid:
        raise _bad(Path(path), "; ".join(problems) + f" (of {n_rows}); {invalid_hint}.")
    return g.with_group(group) if group is not None else g


def _load(path: Path, dtype: torch.dtype, device: str | torch.device, drop_invalid: bool
          ) -> tuple[Gaussians, list[str], int]:
    header = read_header(path)
    table = _vertex_table(path, header)
    props = list(table.dtype.names or ())
    ptypes = {n: table.dtype[n] for n in props}

    required = ["x", "y", "z", "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    has_dc = all(f"f_dc_{i}" in ptypes for i in range(3))
    has_rgb = all(c in ptypes for c in ("red", "green", "blue"))
    missing = [p for p in required if p not in ptypes]
    if not has_dc and not has_rgb:
        missing += [f"f_dc_{i}" for i in range(3) if f"f_dc_{i}" not in ptypes]
    if missing:
        raise _bad(path, f"missing properties {', '.join(missing)}; this is not a 3D Gaussian splat file "
                         "(a plain point cloud?), export Gaussians from a 3DGS trainer.")
    rest = _sh_rest_names(props) if has_dc else []
    float_props = required + ([f"f_dc_{i}" for i in range(3)] + rest if has_dc else [])
    for p in float_props:
        if ptypes[p].kind != "f":
            raise _bad(path, f"property '{p}' has integer type {ptypes[p].name}, but 3DGS stores floats; "
                             "re-export the file.")
    n_rest = len(rest)
    if rest:
        if n_rest % 3 or round((n_rest // 3 + 1) ** 0.5) ** 2 != n_rest // 3 + 1:
            raise _bad(path, f"{n_rest} f_rest_* properties do not form a full SH band set (need 9, 24 or 45); "
                             "re-export the file.")
        if rest != [f"f_rest_{i}" for i in range(n_rest)]:
            raise _bad(path, f"f_rest_* properties are not numbered 0..{n_rest - 1}; re-export the file.")

    n = len(table)
    np_dtype = np.float64 if dtype == torch.float64 else np.float32

    def col(names: list[str], as_type=np.float64) -> np.ndarray:
        out = np.empty((n, len(names)), dtype=as_type)
        for i, name in enumerate(names):
            out[:, i] = table[name]
        return out

    # Geometry columns are activated in float64 (exact round trips); colours go straight to the output dtype.
    xyz = col(["x", "y", "z"])
    opac = col(["opacity"])[:, 0]
    log_s = col(["scale_0", "scale_1", "scale_2"])
    rot = col(["rot_0", "rot_1", "rot_2", "rot_3"])
    if has_dc:
        k1 = n_rest // 3
        colors = np.empty((n, k1 + 1, 3), dtype=np_dtype)
        for c in range(3):
            colors[:, 0, c] = table[f"f_dc_{c}"]
            for j in range(k1):
                colors[:, 1 + j, c] = table[f"f_rest_{c * k1 + j}"]  # channel-major in the file
    else:
        colors = col(["red", "green", "blue"], np_dtype)
        if ptypes["red"].kind in "iu":
            colors /= np.iinfo(ptypes["red"]).max

    bad = np.zeros(n, dtype=bool)
    problems: list[str] = []

    def flag(mask: np.ndarray, what: str) -> None:
        nonlocal bad
        count = int(mask.sum())
        if count:
            problems.append(f"{count} rows have {what}")
            bad |= mask

    named = [("x", xyz[:, 0]), ("y", xyz[:, 1]), ("z", xyz[:, 2]), ("opacity", opac)]
    named += [(f"scale_{i}", log_s[:, i]) for i in range(3)] + [(f"rot_{i}", rot[:, i]) for i in range(4)]
    for name, v in named:
        flag(~np.isfinite(v), f"NaN or infinite values in property '{name}'")
    if colors.size:
        flag(~np.isfinite(colors).reshape(n, -1).all(1),
             "NaN or infinite values in colour properties (f_dc_*/f_rest_*)")
    with np.errstate(invalid="ignore"):
        qn = np.linalg.norm(rot, axis=1)
        flag(np.isfinite(qn) & (qn < 1e-12), "zero-norm quaternions (rot_0..rot_3 all zero)")
        flag(np.isfinite(log_s).all(1) & (np.abs(log_s) > _MAX_ABS_LOG_SCALE).any(1),
             f"absurd log-scales (|scale_*| > {_MAX_ABS_LOG_SCALE:g})")
    if problems and not drop_invalid:
        return Gaussians(*(torch.zeros(0, d) for d in (3, 4, 3)), torch.zeros(0), torch.zeros(0, 3)), problems, n

    def t(a: np.ndarray) -> torch.Tensor:
        a = a[~bad] if bad.any() else a
        return torch.from_numpy(np.ascontiguousarray(a)).to(device=device)

    means = t(xyz).to(dtype)
    scales = torch.exp(t(log_s)).to(dtype)
    opacities = torch.sigmoid(t(opac)).to(dtype)
    # Quaternions already unit to float32 precision are kept bit for bit (exact round trips of saved files);
    # the raw quaternions 3DGS trainers store are normalised.
    q = t(rot)
    qn = q.norm(dim=-1, keepdim=True)
    quats = torch.where((qn - 1).abs() < 1e-6, q, q / qn).to(dtype)
    return Gaussians(means, quats, scales, opacities, t(colors).to(dtype)), problems, n


def save_ply(path: str | os.PathLike, gaussians: Gaussians, *, format: str = "binary_little_endian",
             normals: bool = True) -> None:
    """Write Gaussians as an INRIA 3DGS ``.ply`` (atomically). RGB (N,3) colours are stored as SH DC terms.

    ``format``: binary_little_endian (default, what every viewer reads), binary_big_endian or ascii.
    """
    from zerohsi.io import atomic_path

    if format not in _FORMATS:
        raise ValueError(f"format must be one of {sorted(_FORMATS)}")
    g = gaussians.detach().to("cpu")
    n = len(g)
    if g.colors.dim() == 3:
        sh = g.colors.double().numpy()
    else:
        if g.colors.shape[1] != 3:
            raise ValueError(f"only RGB or SH colours can be saved as 3DGS, got {g.colors.shape[1]} channels")
        sh = ((g.colors.double().numpy() - 0.5) / SH_C0)[:, None, :]
    k = sh.shape[1]
    cols: list[tuple[str, np.ndarray]] = [("x", g.means[:, 0]), ("y", g.means[:, 1]), ("z", g.means[:, 2])]
    cols = [(c, v.double().numpy()) for c, v in cols]
    if normals:
        cols += [(c, np.zeros(n)) for c in ("nx", "ny", "nz")]
    cols += [(f"f_dc_{i}", sh[:, 0, i]) for i in range(3)]
    rest = sh[:, 1:, :].transpose(0, 2, 1).reshape(n, 3 * (k - 1))  # channel-major, as 3DGS writes it
    cols += [(f"f_rest_{i}", rest[:, i]) for i in range(3 * (k - 1))]
    p = g.opacities.double().numpy()
    with np.errstate(divide="ignore"):
        cols += [("opacity", np.log(p) - np.log1p(-p))]
        log_s = np.log(g.scales.double().numpy())
    cols += [(f"scale_{i}", log_s[:, i]) for i in range(3)]
    q = g.quats.double().numpy()
    cols += [(f"rot_{i}", q[:, i]) for i in range(4)]

    order = _FORMATS[format] or "<"
    dtype = np.dtype([(c, order + "f4") for c, _ in cols])
    table = np.empty(n, dtype=dtype)
    for c, v in cols:
        table[c] = v
    head = ["ply", f"format {format} 1.0", "comment written by zerohsi", f"element vertex {n}"]
    head += [f"property float {c}" for c, _ in cols] + ["end_header"]
    with atomic_path(path, suffix=".ply") as tmp:
        with open(tmp, "wb") as f:
            f.write(("\n".join(head) + "\n").encode("ascii"))
            if format == "ascii":
                flat = np.stack([table[c] for c, _ in cols], -1) if n else np.zeros((0, len(cols)), np.float32)
                np.savetxt(f, flat, fmt="%.9g")
            else:
                f.write(table.tobytes())


@dataclass
class PlyStats:
    """What ``zerohsi splat info`` prints."""

    count: int
    sh_degree: int | None
    channels: int
    bounds_min: list[float]
    bounds_max: list[float]
    scale_quantiles_m: dict[str, float]
    opacity_quantiles: dict[str, float]
    anomalies: list[str]
    format: str
    properties: list[str]


def ply_stats(path: str | os.PathLike) -> PlyStats:
    """Summary of a splat file; invalid rows are counted as anomalies instead of raising."""
    path = Path(path)
    header = read_header(path)
    g, anomalies, _ = _load(path, torch.float32, "cpu", drop_invalid=True)
    qs = {"min": 0.0, "p05": 0.05, "median": 0.5, "p95": 0.95, "max": 1.0}
    smax = g.scales.max(1).values.double()
    op = g.opacities.double()

    def quant(x: torch.Tensor) -> dict[str, float]:
        if len(x) == 0:
            return {k: float("nan") for k in qs}
        xs = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:1_000_000]]
        return {k: float(torch.quantile(xs, q)) for k, q in qs.items()}

    if len(g):
        if (op < 1.0 / 255).any():
            anomalies.append(f"{int((op < 1.0 / 255).sum())} Gaussians are invisible (opacity < 1/255)")
        big = smax > 10 * torch.quantile(smax[:1_000_000], 0.99)
        if big.any():
            anomalies.append(f"{int(big.sum())} Gaussians are more than 10x larger than the 99th percentile")
    lo, hi = (g.bounds() if len(g) else (torch.zeros(3), torch.zeros(3)))
    vertex = next(e for e in header.elements if e.name == "vertex")
    return PlyStats(len(g), g.sh_degree, g.feature_dim, lo.tolist(), hi.tolist(), quant(smax), quant(op), anomalies,
                    header.format, [n for n, _ in vertex.properties])
