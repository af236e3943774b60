"""`zerohsi bench` end to end through the CLI, with the pipeline replaced by a fake run function."""

from __future__ import annotations

from dataclasses import dataclass

from zerohsi.bench import harness, sweep
from zerohsi.cli.main import main


@dataclass
class _Result:
    metrics: dict
    timings: dict
    motion: object = None


def test_bench_cli_prints_paper_tables(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(harness, "suite_instances", lambda suite, only=None: [("lite_sit", False)])
    monkeypatch.setattr(sweep, "pipeline_run",
                        lambda cfg, run_dir, resume: _Result({"clip_score": 21.0 + cfg.seed, "pene_mean": 0.1}, {}))
    out = tmp_path / "b"
    code = main(["bench", "--suite", "anyinteraction-lite", "--seeds", "2", "--preset", "fast", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    # a fake run carries no provenance: it never makes the paper-named row
    assert "TRUMANS (paper)" in text and "ZeroHSI · fast · no provenance (ours, n=2)" in text and "21.50" in text
    assert "ZeroHSI (ours" not in text
    assert "2/2 runs succeeded" in text and "[1/2 runs done" in text and "running zerohsi/lite_sit/seed1" in text
    assert main(["bench", "--seeds", "2", "--preset", "fast", "--out", str(out)]) == 2  # exists: needs --resume
    assert main(["bench", "tables", str(out)]) == 0
    assert "Table 4" in capsys.readouterr().out


def test_bench_cli_exit_code_reports_failed_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(harness, "suite_instances", lambda suite, only=None: [("lite_sit", False)])

    def broken(cfg, run_dir, resume):
        raise RuntimeError("stage exploded")

    monkeypatch.setattr(sweep, "pipeline_run", broken)
    code = main(["bench", "--seeds", "1", "--preset", "fast", "--out", str(tmp_path / "b"), "--metrics", "mpjpe",
                 "--executor-set", "bogus=1"])
    assert code == 2  # the local executor takes no options: a one-line user error
    assert "takes no options" in capsys.readouterr().err
    code = main(["bench", "--seeds", "1", "--preset", "fast", "--out", str(tmp_path / "b"), "--metrics", "mpjpe"])
    assert code == 1
    assert "stage exploded" in capsys.readouterr().out
