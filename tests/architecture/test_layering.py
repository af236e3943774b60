"""The layering of DESIGN.md, checked on the source: no module imports one of a higher layer, function-level
imports included (they hide cycles from Python but not from a reader)."""

from __future__ import annotations

import ast
from pathlib import Path

import zerohsi

#: lowest first; a module belongs to the first layer whose prefix it starts with (the longest prefix wins)
LAYERS: list[tuple[str, ...]] = [
    # core types and helpers (the data types of DESIGN.md included, wherever their module lives)
    ("zerohsi.errors", "zerohsi.io", "zerohsi.devices", "zerohsi.threads", "zerohsi.safe_pickle", "zerohsi.geometry",
     "zerohsi.cameras", "zerohsi.gaussians", "zerohsi.ply", "zerohsi.body.params", "zerohsi.motion",
     "zerohsi.segment.masks", "zerohsi.video.video", "zerohsi.config.schema", "zerohsi.config.validate",
     "zerohsi.plugins"),
    ("zerohsi.body", "zerohsi.scenes", "zerohsi.render"),
    # composition and set-up; loading a run config reads instance files, so it sits here too
    ("zerohsi.composition", "zerohsi.clip_setup", "zerohsi.provenance", "zerohsi.config"),
    ("zerohsi.video", "zerohsi.segment", "zerohsi.poseinit", "zerohsi.refine", "zerohsi.metrics", "zerohsi.outputs",
     "zerohsi.recon", "zerohsi.wandb_log", "zerohsi.preflight"),
    ("zerohsi.pipeline",),
    ("zerohsi.bench",),
    ("zerohsi.cli",),
]


def layer_of(module: str) -> int | None:
    best = None
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def imports(root: Path):
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("zerohsi."):
                    yield module, name, node.lineno


def test_no_module_imports_a_higher_layer():
    root = Path(zerohsi.__file__).parent
    upward = []
    for module, target, line in imports(root):
        lo, hi = layer_of(module), layer_of(target)
        if lo is not None and hi is not None and hi > lo:
            upward.append(f"{module}:{line} imports {target}")
    assert not upward, "imports that point up the layering:\n" + "\n".join(upward)


def test_every_module_has_a_layer():
    root = Path(zerohsi.__file__).parent
    modules = {m for m, _, _ in imports(root)}
    assert not [m for m in modules if layer_of(m) is None and m != "zerohsi"]
