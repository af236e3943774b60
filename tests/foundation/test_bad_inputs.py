"""A corpus of bad inputs: each must end in exit code 2 with one line on stderr, no traceback, and nothing written.

The run cases are stopped by the preflight, before any stage, so the whole corpus takes seconds.
"""

from __future__ import annotations

import os

import pytest

from zerohsi.cli.main import main
from zerohsi.preflight import _RANGES

#: one bad value per checked range (value, or None to skip a setting whose only bad values are not typeable)
_BAD_RANGE_VALUES = {
    "seed": "-1", "render.width": "0", "render.height": "-4", "render.background": "[0,0]",
    "avatar.num_gaussians": "0", "avatar.color_hidden": "0", "video.num_frames": "0", "video.fps": "0",
    "instance.scene_density": "0", "tracking.iters": "-1", "tracking.lr": "0", "fit.iters": "-6", "fit.lr": "-1",
    "fit.root_only_iters": "-2", "fit.lambda_dssim": "1.5", "fit.color_every": "0", "fit.color_lr": "-1",
    "fit.w_center": "-1", "fit.w_depth": "-1", "fit.w_mask": "-0.5", "fit.w_temporal": "-1",
    "fit.extrapolate": "5", "chain.clips": "0", "wandb.mode": "cloud", "device": "tpu",
}
_EXTRA_RANGE_CASES = ["render.width=100000", "video.num_frames=1", "video.fps=1000", "render.background=[2,0,0]",
                      "fit.lambda_dssim=-0.1", "device=cuda:x"]

_RUN_OVERRIDES = [
    # unknown keys, anywhere
    "fit.iterz=3", "render.wdth=3", "foo=1", "video.generator.options.foo=1", "segmenter.options.bar=1",
    "avatar.body.options.x=1", "pose_initializer.options.y=2", "instance.nam=x", "tracking.enable=false",
    # values of the wrong type
    "fit.iters=abc", "seed=x", "video.fps=fast", "export.report=maybe", "render.width=1.5",
    "fit.free_joints=3", "tracking.enabled=perhaps",
    # unknown components
    "video.generator.name=nope", "segmenter.name=nope", "pose_initializer.name=nope", "avatar.body.name=nope",
    "refiners=[{name: nope}]", "metrics=[nope]", "render.backend=nope", "metrics=[mpjpe,nope]",
    # components whose requirements are missing
    "avatar.body.name=smplx", "refiners=[{name: vposer}]", "video.generator.name=kling",
    "video.generator.name=cogvideox", "video.generator.name=file", "segmenter.name=sam2",
    "pose_initializer.name=smpler_x", "pose_initializer.name=wham", "pose_initializer.name=gvhmr",
    "segmenter.name=sam2 segmenter.options.checkpoint=/nonexistent/sam2.pt",
    "avatar.body.name=smplx avatar.body.options.model_path=/nonexistent/models",
    "video.generator.name=cogvideox video.generator.options.weights=/nonexistent/cogvideox",
    "pose_initializer.name=wham pose_initializer.options.model_path=/nonexistent pose_initializer.options.output=/x",
    "refiners=[{name: vposer, options: {weights: /nonexistent/vposer}}]",
    "avatar.body.name=smplx avatar.body.options.model_type=smpl",
    # instances and scenes
    "instance.name=nope", "instance.suite=nope", "instance.scene_ply=/nonexistent/scene.ply",
    # devices
    "device=cuda", "device=cuda:1",
]

_PLUGINS = ["nope", "kling", "sam2", "smpler_x", "wham", "gvhmr", "cogvideox", "vposer", "smplx", "kling,cogvideox",
            "kling,sam2,smpler_x", "scripted,file"]

_CLI = [
    ["run", "no_such_preset"], ["run", "missing.yaml"], ["run", "demo", "fit.iters"], ["run", "demo", "=3"],
    ["run", "--resume", "RUN"], ["run", "demo", "--resume", "RUN"], ["config", "show", "no_such_preset"],
    ["config", "show", "demo", "fit.iterz=3"], ["config", "show", "demo", "video.generator.options.foo=1"],
    ["config", "show", "demo", "--plugins", "nope"], ["config", "show", "demo", "render.width=0"],
    ["config", "show", "demo", "--plugins", "kling", "video.generator.options.mode_x=pro"],
    ["splat", "info", "missing.ply"], ["splat", "info", "TEXT"], ["motion", "info", "missing.npz"],
    ["motion", "info", "TEXT"], ["bench", "--seeds", "0", "--out", "RUN"],
    ["bench", "--suite", "nope", "--out", "RUN"], ["bench", "--instances", "nope", "--out", "RUN"],
    ["bench", "--preset", "nope", "--out", "RUN"], ["bench", "--plugins", "kling", "--out", "RUN"],
    ["bench", "--executor", "nope", "--out", "RUN"], ["bench", "--ablation", "nope", "--out", "RUN"],
    ["bench", "--metrics", "nope", "--out", "RUN"], ["bench", "--plugins", "nope", "--out", "RUN"],
    ["bench", "--suite", "anyinteraction-lite", "--plugins", "smpler_x", "--out", "RUN"],
    ["run", "demo", "--run-dir", "FILE"], ["run", "demo", "--run-dir", "FILE/sub"], ["run", "demo", "output_dir=FILE"],
    ["bench", "--suite", "anyinteraction-lite", "--out", "FILE"],
]


def _cases():
    cases = []
    for path, _, _ in _RANGES:
        if _BAD_RANGE_VALUES.get(path) is not None:
            cases.append(("run", [f"{path}={_BAD_RANGE_VALUES[path]}"]))
    cases += [("run", [item]) for item in _EXTRA_RANGE_CASES]
    cases += [("run", item.split(" ")) for item in _RUN_OVERRIDES]
    cases += [("plugins", [p]) for p in _PLUGINS]
    cases += [("cli", argv) for argv in _CLI]
    return cases


CASES = _cases()


def test_corpus_is_large():
    assert len(CASES) >= 100, len(CASES)


@pytest.mark.parametrize("kind,args", CASES, ids=[" ".join(a)[:60] for _, a in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(kind, args, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for var in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "ZEROHSI_SMPLX_MODELS", "ZEROHSI_CLIP_WEIGHTS"):
        monkeypatch.delenv(var, raising=False)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "text.txt").write_text("not a splat or a motion\n")
    (inputs / "file").write_text("a file where a folder is expected\n")
    run_dir = tmp_path / "out" / "run"
    subst = {"RUN": str(run_dir), "TEXT": str(inputs / "text.txt"), "FILE": str(inputs / "file")}

    def fill(a):
        for k, v in subst.items():
            a = a.replace(k, v) if a.startswith(k) or f"={k}" in a else a
        return a

    if kind == "run":
        argv = ["run", "demo", "--run-dir", str(run_dir), *args]
    elif kind == "plugins":
        argv = ["run", "demo", "--run-dir", str(run_dir), "--plugins", *args]
    else:
        argv = [fill(a) for a in args]
    _assert_strict(argv, tmp_path, capsys)
    assert not os.environ.get("KLING_ACCESS_KEY")


def _assert_strict(argv, root, capsys):
    """``main(argv)`` exits 2 with one line and no traceback, quotes no unsafe-loading advice, and writes nothing
    under ``root``."""
    before = sorted(p for p in root.rglob("*"))
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "allow_pickle" not in err and "weights_only" not in err, err
    assert argv[:2] == ["splat", "render"] or "--drop-invalid" not in err, err  # only splat has that flag
    after = sorted(p for p in root.rglob("*") if "__pycache__" not in p.parts)
    assert after == before, f"left behind: {set(after) - set(before)}"


def _files(root):
    """Bad files of several kinds (and a good splat to aim at bad output paths), written into ``root``."""
    import numpy as np
    import torch

    from zerohsi.gaussians import Gaussians
    from zerohsi.ply import save_ply

    root.mkdir(exist_ok=True)
    n = 8
    g = Gaussians(torch.rand(n, 3), torch.nn.functional.normalize(torch.rand(n, 4), dim=1), torch.full((n, 3), 0.05),
                  torch.full((n,), 0.8), torch.rand(n, 3))
    save_ply(root / "good.ply", g)
    nan = g.means.clone()
    nan[0, 0] = float("nan")
    save_ply(root / "nan.ply", Gaussians(nan, g.quats, g.scales, g.opacities, g.colors))
    (root / "bad.yaml").write_text("fit: [unclosed\n")
    (root / "list.yaml").write_text("- a\n- b\n")
    (root / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    obj = np.empty(1, dtype=object)
    obj[0] = {"x": 1}
    np.savez(root / "objects.npz", poses=obj)
    (root / "weights").mkdir()
    (root / "weights" / "model_index.json").write_text("{not json")
    (root / "empty.bvh").write_text("")
    (root / "file").write_text("a file where a folder is expected\n")


_FILE_CASES = [
    ["run", "F/bad.yaml"], ["run", "F/list.yaml"], ["config", "show", "F/bad.yaml"],
    ["run", "demo", "instance.scene_ply=F/nan.ply"], ["splat", "info", "F/garbage.npz"],
    ["splat", "render", "F/good.ply", "-o", "F/file/x.png"], ["splat", "render", "F/good.ply", "-o", "F/x.gif"],
    ["splat", "render", "F/nan.ply", "-o", "F/x.png"], ["motion", "info", "F/garbage.npz"],
    ["motion", "info", "F/objects.npz"], ["motion", "import", "F/garbage.npz", "-o", "F/out.npz"],
    ["motion", "import", "F/empty.bvh", "-o", "F/out.npz"], ["motion", "import", "F/objects.npz", "-o", "F/out.npz"],
    ["run", "demo", "video.generator.name=cogvideox", "video.generator.options.weights=F/weights"],
    ["run", "demo", "video.generator.name=file", "video.generator.options.path=F/garbage.npz"],
    ["scenes", "import", "F/garbage.npz", "-o", "F/scene"],
]


@pytest.mark.parametrize("argv", _FILE_CASES, ids=[" ".join(a)[:60] for a in _FILE_CASES])
def test_bad_file_is_one_line_exit_2_nothing_written(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    files = tmp_path / "F"
    _files(files)
    argv = [a.replace("F/", f"{files}/") for a in argv]
    if argv[0] == "run":
        argv[2:2] = [] if argv[1].endswith(".yaml") else ["--run-dir", str(tmp_path / "out" / "run")]
    _assert_strict(argv, tmp_path, capsys)


def test_file_corpus_size():
    assert len(CASES) + len(_FILE_CASES) >= 130
