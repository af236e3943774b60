"""Options of the ``kling`` video generator (no secrets here: keys come from the environment)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class KlingConfig:
    base_url: str = "https://api.klingai.com"
    #: kling-v1, kling-v1-5, kling-v1-6, kling-v2-master, kling-v2-1, ...
    model_name: str = "kling-v1"
    mode: str = "std"  # std | pro
    duration: str = "5"  # "5" | "10" seconds (a string in the API)
    #: prompt adherence 0..1 (sent to kling-v1* models only; later models ignore it)
    cfg_scale: float = 0.5
    negative_prompt: str = ""
    #: I0 is upscaled so its shorter side has at least this many pixels (the API rejects small images)
    min_image_side_px: int = 300
    #: seconds between status queries, and the bounded total wait for one task
    poll_interval_s: float = 5.0
    max_wait_s: float = 1800.0
    #: per-request timeouts (seconds)
    request_timeout_s: float = 30.0
    download_timeout_s: float = 120.0
    #: retries of one request on 429/5xx/timeouts; exponential backoff base * 2^k (capped), with jitter
    max_retries: int = 6
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    #: a rate-limit (1302) or concurrency-limit (1303) answer waits at least this long before trying again
    rate_limit_wait_s: float = 10.0
    #: how many rate/concurrency-limit answers to sit out before giving up
    max_rate_limit_waits: int = 30
    #: after a submission whose outcome is unknown (a timeout), the task list is searched for our external task id
    #: for this long, every reconcile_poll_s seconds, before submitting again: KLING can list a task it accepted
    #: only after tens of seconds, and a resubmission before then would pay for a second video
    reconcile_window_s: float = 60.0
    reconcile_poll_s: float = 5.0
    #: a JWT is renewed this many seconds before it expires
    token_refresh_margin_s: float = 120.0
