"""Discoverable component options (`zerohsi plugins show`), loaded-vs-ready status, and help/listing details."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import pytest

from zerohsi.cli.main import main
from zerohsi.plugins import get_host
from zerohsi.plugins.describe import component_options, describe, readiness


@dataclass
class _BaseOptions:
    #: how many steps
    #: (a second comment line joins the first)
    steps: int = 3
    #: the learning rate
    lr: float = 0.1


@dataclass
class _Options(_BaseOptions):
    """A docstring is not a field doc."""

    lr: float = 0.5  # a plain comment is not a doc: the base class's doc stays
    #: where the weights are
    weights: str = "???"
    #: optional size
    size: Optional[int] = None
    #: names to use
    names: list[str] = field(default_factory=lambda: ["a"])


def test_options_come_from_the_config_dataclass_with_their_docs():
    opts = {o.name: o for o in component_options(_Options)}
    assert list(opts) == ["steps", "lr", "weights", "size", "names"]
    assert opts["steps"].doc == "how many steps (a second comment line joins the first)"
    assert (opts["lr"].type, opts["lr"].default, opts["lr"].doc) == ("float", 0.5, "the learning rate")
    assert opts["weights"].required and opts["weights"].default is None  # "???": the user must give it
    assert (opts["size"].type, opts["names"].type, opts["names"].default) == ("int | None", "list[str]", ["a"])
    assert component_options(None) == []


def test_every_installed_component_option_has_a_type_and_a_doc():
    undocumented = [f"{e.role} {e.name}.{o.name}" for e in get_host().entries()
                    for o in component_options(e.config) if not (o.doc and o.type)]
    assert not undocumented, undocumented


class _Entry:
    role, name, description, plugin, distribution, version, config = "segmenter", "x", "d", "p", "dist", "1", None


def test_readiness_uses_the_entrys_missing_check_when_it_has_one():
    assert readiness(_Entry()) == ("loaded", [])  # no check: imported, readiness unknown
    ready, needs, broken = _Entry(), _Entry(), _Entry()
    ready.missing = lambda options=None: []
    needs.missing = lambda options=None: ["Set KLING_ACCESS_KEY and KLING_SECRET_KEY."]
    broken.missing = lambda options=None: 1 / 0
    assert readiness(ready) == ("ready", [])
    assert readiness(needs) == ("missing", ["Set KLING_ACCESS_KEY and KLING_SECRET_KEY."])
    status, why = readiness(broken)
    assert status == "loaded" and "readiness check failed" in why[0]
    assert describe(needs)["status"] == "missing" and describe(needs)["options"] == []


def _cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plugins_show_lists_every_option(capsys):
    code, out, _ = _cli(capsys, "plugins", "show", "scene_difference", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["role"], data["name"], data["distribution"]) == ("segmenter", "scene_difference", "zerohsi")
    opts = {o["name"]: o for o in data["options"]}
    assert opts["align_iters"]["type"] == "int" and opts["align_iters"]["default"] == 8
    assert "Gauss-Newton" in opts["align_iters"]["doc"]
    assert data["status"] in {"ready", "missing", "loaded"}
    code, out, _ = _cli(capsys, "plugins", "show", "scene_difference")
    assert code == 0 and "align_iters" in out and "segmenter.options.OPTION=VALUE" in out


def test_plugins_show_unknown_name_is_one_line(capsys):
    code, out, err = _cli(capsys, "plugins", "show", "scene_diference")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "scene_difference" in err


def test_plugins_json_lists_options_and_status(capsys):
    code, out, _ = _cli(capsys, "plugins", "--json")
    assert code == 0
    comps = {(c["role"], c["name"]): c for c in json.loads(out)["components"]}
    fit = comps[("pose_initializer", "keypoint_fit")]
    assert {o["name"] for o in fit["options"]} >= {"file", "layout", "iters"}
    assert all(c["status"] in {"ready", "missing", "loaded"} for c in comps.values())


@pytest.mark.parametrize("argv", [("plugins", "--help"), ("scenes", "list", "--help")])
def test_help_shows_flags_without_a_value_type(capsys, argv):
    code, out, _ = _cli(capsys, *argv)
    assert code == 0 and "--json" in out
    assert "<bool>" not in out  # `--json true` is an error: a flag takes no value


def test_scenes_list_prints_full_instance_names(capsys):
    from zerohsi.scenes.suite import load_suite

    code, out, _ = _cli(capsys, "scenes", "list")
    assert code == 0
    longest = max((i.name for i in load_suite("anyinteraction").instances), key=len)
    assert longest in out and "…" not in out
