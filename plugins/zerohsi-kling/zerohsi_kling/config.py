"""Options of the ``kling`` video generator (no secrets here: keys come from the environment)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class KlingConfig:
    #: the API's address (another region's endpoint, or a test server)
    base_url: str = "https://api.klingai.com"
    #: kling-v1, kling-v1-5, kling-v1-6, kling-v2-master, kling-v2-1, ...
    model_name: str = "kling-v1"
    #: std | pro (pro: higher quality, costs more)
    mode: str = "std"
    #: "5" | "10" seconds (a string in the API)
    duration: str = "5"
    #: prompt adherence 0..1 (sent to kling-v1* models only; later models ignore it)
    cfg_scale: float = 0.5
    #: what the video should not show (empty: none)
    negative_prompt: str = ""
    #: I0 is upscaled so its shorter side has at least this many pixels (the API rejects small images)
    min_image_side_px: int = 300
    #: seconds between status queries of a submitted task
    poll_interval_s: float = 5.0
    #: the longest total wait for one task, in seconds, before giving up (it can be resumed later)
    max_wait_s: float = 1800.0
    #: timeout of one API request, in seconds
    request_timeout_s: float = 30.0
    #: timeout of downloading the finished video, in seconds
    download_timeout_s: float = 120.0
    #: retries of one request on 429/5xx/timeouts, with exponential backoff and jitter
    max_retries: int = 6
    #: first backoff wait in seconds; retry k waits base * 2^k
    backoff_base_s: float = 1.0
    #: cap on one backoff wait, in seconds
    backoff_max_s: float = 60.0
    #: a rate-limit (1302) or concurrency-limit (1303) answer waits at least this long before trying again
    rate_limit_wait_s: float = 10.0
    #: how many rate/concurrency-limit answers to sit out before giving up
    max_rate_limit_waits: int = 30
    #: after a submission whose outcome is unknown (a timeout), the task list is searched for our external task id
    #: for this long, every reconcile_poll_s seconds, before submitting again: KLING can list a task it accepted
    #: only after tens of seconds, and a resubmission before then would pay for a second video
    reconcile_window_s: float = 60.0
    #: seconds between two searches of the task list within reconcile_window_s
    reconcile_poll_s: float = 5.0
    #: a JWT is renewed this many seconds before it expires
    token_refresh_margin_s: float = 120.0
