import subprocess
import sys

import zerohsi

ZEROHSI = [sys.executable, "-m", "zerohsi.cli.main"]


def run(*args):
    return subprocess.run(ZEROHSI + list(args), capture_output=True, text=True)


def test_version():
    out = run("--version")
    assert out.returncode == 0 and zerohsi.__version__ in out.stdout


def test_config_show_paper_prints_hyperparameters():
    out = run("config", "show", "paper")
    assert out.returncode == 0
    assert "lambda_dssim: 0.1" in out.stdout and "iters: 300" in out.stdout


def test_user_errors_exit_2_with_one_line_and_no_traceback():
    for args in (("config", "show", "demo", "fit.itres=1"), ("config", "show", "nope"),
                 ("config", "show", "demo", "--plugins", "no_such_thing")):
        out = run(*args)
        assert out.returncode == 2, out
        assert "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
