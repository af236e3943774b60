"""The kling generator end to end against a local mock of the KLING API, under injected faults.

The invariant every scenario checks: one request is paid for (submitted) exactly once.
"""

import itertools
import json
import logging
import time

import jwt
import numpy as np
import pytest
from kling_mock_server import MockKling

from zerohsi.errors import UserError
from zerohsi.plugins import get_host
from zerohsi.video.base import VideoRequest
from zerohsi.video.cache import cached_generate
from zerohsi.video.io import write_mp4

ACCESS = "ak-test-ACCESS-7f3e"
SECRET = "sk-test-SECRET-91b2c4-0123456789abcdef"


def _clip(T=15, H=48, W=64):
    yy, xx = np.mgrid[0:H, 0:W]
    frames = np.repeat(np.stack([30 + 2 * xx, 40 + 3 * yy, 90 + 0 * xx], -1).astype(np.uint8)[None], T, 0)
    for t in range(T):
        frames[t, 10:30, 3 + 2 * t:15 + 2 * t] = (240, 200, 40)
    return frames


@pytest.fixture(scope="session")
def video_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("kling") / "result.mp4"
    write_mp4(path, _clip(), fps=30)
    return path.read_bytes()


@pytest.fixture
def mock(video_bytes, monkeypatch):
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET)
    with MockKling(ACCESS, SECRET, video_bytes, polls_before_success=2, hang_s=1.5) as server:
        yield server


def _generator(mock, **options):
    opts = {"base_url": mock.url, "poll_interval_s": 0.001, "backoff_base_s": 0.001, "backoff_max_s": 0.01,
            "rate_limit_wait_s": 0.001, "request_timeout_s": 0.6, "download_timeout_s": 1.0, "max_retries": 4,
            **options}
    return get_host().build("video_generator", "kling", opts)


def _request(tmp_path, workdir="work"):
    first = _clip(T=1, H=24, W=32)[0].astype(np.float32) / 255.0
    return VideoRequest(first_frame=first, prompt="a person waves", seed=0, num_frames=5, fps=10.0,
                        workdir=tmp_path / workdir)


def test_happy_path(mock, tmp_path):
    video = _generator(mock).generate(_request(tmp_path))
    assert len(mock.submissions) == 1 and not mock.auth_failures
    body = mock.submissions[0]
    assert body["model_name"] == "kling-v1" and body["duration"] == "5" and body["mode"] == "std"
    assert body["cfg_scale"] == 0.5 and body["prompt"] == "a person waves"
    assert not body["image"].startswith("data:")
    assert video.frames.shape == (15, 24, 32, 3) and video.fps == pytest.approx(30)  # resized to I0's size
    assert video.provenance["task_id"] == "task0001" and video.provenance["model"] == "kling-v1"
    assert mock.download_auth_headers == [None]  # the token never goes to the storage host
    state = json.loads((tmp_path / "work" / "kling_task.json").read_text())
    assert state["task_id"] == "task0001" and state["phase"] == "downloaded"


FAULTS = [
    ("create", "500"), ("create", "500_after_create"), ("create", "hang_after_create"),
    ("create", "malformed_after_create"), ("create", "429"), ("create", "1303"),
    ("query", "500"), ("query", "hang"), ("query", "malformed"), ("query", "429"), ("query", "expired_token"),
    ("download", "truncated"), ("download", "garbage"), ("download", "expired"), ("download", "500"),
]


@pytest.mark.parametrize("endpoint,fault", FAULTS, ids=[f"{e}-{f}" for e, f in FAULTS])
def test_faults_never_pay_twice(mock, tmp_path, endpoint, fault):
    mock.inject(endpoint, fault)
    if endpoint == "create" and "after_create" in fault:
        mock.inject("list", "500")  # the reconciliation itself meets a failure too
    clock = itertools.count(time.time() - 1000)  # every token is signed one second after the previous one
    gen = get_host().build("video_generator", "kling", {
        "base_url": mock.url, "poll_interval_s": 0.001, "backoff_base_s": 0.001, "backoff_max_s": 0.01,
        "rate_limit_wait_s": 0.001, "request_timeout_s": 0.6, "max_retries": 4})
    gen._token_clock = lambda: float(next(clock))
    video = gen.generate(_request(tmp_path))
    assert len(mock.submissions) == 1, f"{fault} caused {len(mock.submissions)} paid submissions"
    assert len(video) == 15 and not mock.faults[endpoint]


def test_interrupted_polling_resumes_same_task(mock, tmp_path):
    def interrupt(_):
        raise KeyboardInterrupt

    gen = _generator(mock)
    gen._sleep = interrupt
    with pytest.raises(KeyboardInterrupt):
        gen.generate(_request(tmp_path))
    assert len(mock.submissions) == 1
    video = _generator(mock).generate(_request(tmp_path))
    assert len(mock.submissions) == 1 and video.provenance["task_id"] == "task0001"


def test_interrupted_run_resumes_through_cache_from_another_run_folder(mock, tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROHSI_CACHE_DIR", str(tmp_path / "cache"))

    def interrupt(_):
        raise KeyboardInterrupt

    gen = _generator(mock)
    gen._sleep = interrupt
    with pytest.raises(KeyboardInterrupt):
        cached_generate(gen, _request(tmp_path, "run1"), name="kling")
    video, entry = cached_generate(_generator(mock), _request(tmp_path, "run2"), name="kling")
    assert len(mock.submissions) == 1 and len(video) == 5  # 30 fps -> 10 fps
    assert (tmp_path / "run2" / "kling_task.json").exists() and (entry / "kling_task.json").exists()
    cached_generate(_generator(mock), _request(tmp_path, "run3"), name="kling")  # a cache hit: no API call
    assert len(mock.submissions) == 1 and mock.requests.count(("POST", "/v1/videos/image2video")) == 1


def test_crash_during_submission_finds_task_by_external_id(mock, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    mock.create_task({"external_task_id": "zerohsi-abc", "duration": "5"})  # accepted, but the answer was lost
    (workdir / "kling_task.json").write_text(json.dumps({"external_task_id": "zerohsi-abc", "phase": "submitting"}))
    video = _generator(mock).generate(_request(tmp_path))
    assert len(mock.submissions) == 1 and video.provenance["task_id"] == "task0001"


def test_failed_task_is_one_sentence_and_next_run_resubmits(mock, tmp_path):
    mock.fail_tasks = True
    with pytest.raises(UserError, match=r"task task0001 failed \(The image could not be animated\)") as err:
        _generator(mock).generate(_request(tmp_path))
    assert str(err.value).count(". ") == 0
    assert not (tmp_path / "work" / "kling_task.json").exists()
    mock.fail_tasks = False
    _generator(mock).generate(_request(tmp_path))
    assert len(mock.submissions) == 2  # a deliberate new attempt after a finished (failed) task


def test_content_policy_and_missing_keys(mock, tmp_path, monkeypatch):
    mock.inject("create", "content_policy")
    with pytest.raises(UserError, match="content policy"):
        _generator(mock).generate(_request(tmp_path))
    monkeypatch.delenv("KLING_SECRET_KEY")
    gen = _generator(mock)  # building needs no keys (cached videos are usable without them)
    with pytest.raises(UserError, match="KLING_SECRET_KEY") as err:
        gen.generate(_request(tmp_path, "w2"))
    assert "KLING_ACCESS_KEY" not in str(err.value)


def test_bounded_wait_keeps_task_for_later(mock, tmp_path):
    mock.polls_before_success = 10**6
    with pytest.raises(UserError, match="still 'processing'"):
        _generator(mock, max_wait_s=0.05).generate(_request(tmp_path))
    state = json.loads((tmp_path / "work" / "kling_task.json").read_text())
    assert state["task_id"] == "task0001"
    mock.polls_before_success = 0
    _generator(mock).generate(_request(tmp_path))
    assert len(mock.submissions) == 1


def test_persistent_rate_limit_gives_up_without_paying(mock, tmp_path):
    mock.inject("create", *["429"] * 10)
    with pytest.raises(UserError, match="rate limit"):
        _generator(mock, max_rate_limit_waits=3).generate(_request(tmp_path))
    assert mock.submissions == []


def test_parameter_errors_are_user_errors(mock, tmp_path):
    with pytest.raises(UserError, match="duration"):
        _generator(mock, duration="7")
    with pytest.raises(UserError, match="2500"):
        req = _request(tmp_path)
        req.prompt = "x" * 2501
        _generator(mock).generate(req)


def test_keys_never_leak(mock, tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("ZEROHSI_CACHE_DIR", str(tmp_path / "cache"))
    mock.inject("query", "500", "expired_token")
    mock.inject("create", "500_after_create")
    clock = itertools.count(time.time() - 1000)
    gen = _generator(mock)
    gen._token_clock = lambda: float(next(clock))
    with caplog.at_level(logging.DEBUG):
        cached_generate(gen, _request(tmp_path), name="kling")
        mock.fail_tasks = True
        with pytest.raises(UserError) as err:
            _generator(mock).generate(_request(tmp_path, "w2"))
    written = "".join(p.read_text(errors="ignore") for p in tmp_path.rglob("*.json"))
    secrets = [ACCESS, SECRET, *mock.tokens_seen]
    for text in (caplog.text, str(err.value), written, repr(_generator(mock).cfg)):
        assert not any(s in text for s in secrets)


def test_token_claims_and_refresh_before_expiry():
    from zerohsi_kling.auth import KlingCredentials, TokenProvider

    now = [1_000_000.0]
    tokens = TokenProvider(KlingCredentials(ACCESS, SECRET), margin_s=120, clock=lambda: now[0])
    t1 = tokens.token()
    claims = jwt.decode(t1, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False})
    assert claims == {"iss": ACCESS, "exp": 1_001_800, "nbf": 999_995}
    assert jwt.get_unverified_header(t1) == {"alg": "HS256", "typ": "JWT"}
    now[0] += 1600
    assert tokens.token() == t1  # still 200 s left
    now[0] += 100
    assert tokens.token() != t1  # within the refresh margin: renewed
    assert "SECRET" not in repr(KlingCredentials(ACCESS, SECRET)) and SECRET not in repr(tokens)


def test_resumed_submission_refused_as_duplicate_is_found_not_repaid(video_bytes, tmp_path, monkeypatch):
    """The task list lags behind (it does not show the task yet) and the server refuses our external id again."""
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET)
    with MockKling(ACCESS, SECRET, video_bytes, unique_external_ids=True) as mock:
        workdir = tmp_path / "work"
        workdir.mkdir()
        mock.create_task({"external_task_id": "zerohsi-lag", "duration": "5"})
        (workdir / "kling_task.json").write_text(json.dumps({"external_task_id": "zerohsi-lag"}))
        real_public = mock.public
        hidden = {"n": 1}

        def lagging_public(task):  # the first listing misses the task
            out = real_public(task)
            if hidden["n"] > 0 and task["external_task_id"] == "zerohsi-lag":
                hidden["n"] -= 1
                out["task_info"] = {"external_task_id": None}
            return out

        mock.public = lagging_public
        video = _generator(mock).generate(_request(tmp_path))
        assert len(mock.submissions) == 1 and video.provenance["task_id"] == "task0001"


@pytest.mark.parametrize("window,paid", [(4.0, 1), (0.0, 2)])
def test_late_committing_server_is_reconciled_before_resubmitting(video_bytes, tmp_path, monkeypatch, window, paid):
    """The create request times out, the server lists the task only 1.5 s later: searching the task list over the
    reconcile window finds it (one paid task); without the window the client pays twice, which the test shows."""
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET)
    with MockKling(ACCESS, SECRET, video_bytes, polls_before_success=1, hang_s=1.0, list_delay_s=1.5) as server:
        server.inject("create", "hang_after_create")
        video = _generator(server, reconcile_window_s=window, reconcile_poll_s=0.1).generate(_request(tmp_path))
        assert len(server.submissions) == paid and len(video) == 15


def test_saved_task_the_server_forgot_says_how_to_recover(mock, tmp_path):
    work = tmp_path / ".pending-abc123"
    work.mkdir()
    (work / "kling_task.json").write_text(json.dumps({"external_task_id": "zerohsi-x", "task_id": "ghost",
                                                      "phase": "submitted"}))
    with pytest.raises(UserError, match=r"no longer knows task ghost.*cache clear --in-flight --key abc123"):
        _generator(mock).generate(_request(tmp_path, workdir=".pending-abc123"))
    assert not mock.submissions  # nothing bought silently
