"""Metrics as plugins: a registered metric is computed without being named, reaches the tables from its own
registration (no edit of the paper tables file), and ``--plugins NAME`` adds it to a run's metric list."""

from __future__ import annotations

import types

import pytest
import torch

from zerohsi.bench.tables import build_tables, to_markdown
from zerohsi.config.loader import apply_plugin_choices
from zerohsi.config.schema import RunConfig
from zerohsi.config.validate import merge_into, to_object
from zerohsi.metrics.base import EvalContext
from zerohsi.metrics.evaluate import default_metrics, evaluate
from zerohsi.plugins import hookimpl
from zerohsi.plugins.manager import PluginHost, PluginStatus


class RootJerk:
    """root_jerk: mean magnitude of the third difference of the root translation (m per frame^3)."""

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion, ctx):
        d3 = motion.body.transl.diff(n=3, dim=0)
        return {"root_jerk": float(d3.norm(dim=-1).mean())}


@hookimpl
def _register_jerk(register):
    register("root_jerk", lambda cfg: RootJerk(), description="root jerk",
             columns=[{"key": "root_jerk", "label": "Root jerk", "better": "lower", "unit": "m/frame^3",
                       "tables": ["table1"]}])


@pytest.fixture(scope="module")
def host() -> PluginHost:
    """A host with the built-in metrics and one third-party metric plugin."""
    from zerohsi.metrics import registration as builtin

    h = PluginHost()
    for name, fn in (("builtin_metrics", hookimpl(builtin.register)), ("jerk", _register_jerk)):
        h.add_module(types.SimpleNamespace(ZEROHSI_PLUGIN_API=1, register_metrics=fn),
                     PluginStatus(name, name, "0", name))
        assert h.plugins[name].status == "ok", h.plugins[name].error
    return h


def test_registered_metric_is_computed_by_default(host, stick_body, motion_factory):
    assert "root_jerk" in default_metrics(host) and "penetration" in default_metrics(host)
    transl = torch.zeros(5, 3)
    transl[:, 0] = torch.arange(5.0) ** 3 / 6  # constant third difference of 1 m
    res = evaluate(motion_factory(transl), EvalContext(stick_body), host=host)
    assert res.values["root_jerk"] == pytest.approx(1.0, abs=1e-5)
    assert "penetration" in res.skipped  # no scene: skipped with a reason, not dropped silently


def test_its_column_reaches_the_tables_from_the_registration(host):
    rows = [{"status": "ok", "method": "zerohsi", "variant": "zerohsi", "dynamic": False, "scene": "gym",
             "root_jerk": 0.25, "paper_setup": True, "setup_label": ""}]
    t1, t2, _ = build_tables(rows, host=host)
    assert t1.columns[-1].label == "Root jerk" and "root_jerk" not in [c.key for c in t2.columns]
    ours = next(r for r in t1.rows if r.source == "ours")
    assert ours.values[-1] == 0.25
    assert all(r.values[-1] is None for r in t1.rows if r.source == "paper")  # the paper has no such column
    assert "Root jerk ↓" in to_markdown(t1)


def test_plugins_flag_adds_a_metric_instead_of_replacing_the_list():
    node = merge_into(RunConfig, {"metrics": ["mpjpe", "root_error"]})
    assert to_object(apply_plugin_choices(node, {"metric": "root_jerk"})).metrics == ["mpjpe", "root_error",
                                                                                     "root_jerk"]
    empty = merge_into(RunConfig)
    assert to_object(apply_plugin_choices(empty, {"metric": "root_jerk"})).metrics == []  # []: every metric
