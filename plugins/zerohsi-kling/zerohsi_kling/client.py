"""The KLING HTTP layer: authenticated JSON calls with bounded retries, and result downloads.

Failure policy (the API answers ``{code, message, request_id, data}``; ``code`` 0 is success):
- 429 / 1302 rate limit / 1303 concurrency limit: the request was refused, so waiting and repeating it is safe,
  even for a submission.
- 5xx / 5000 / timeouts / connection errors / malformed JSON: repeated with exponential backoff and jitter for
  queries and downloads. For a *submission* the outcome is unknown (the server may have created, and charged,
  the task), so :class:`SubmitOutcomeUnknown` is raised and the caller reconciles by its external task id instead
  of submitting blindly again.
- 1004 token expired (or HTTP 401 without a code): a fresh token, then once more.
- 1000-1003 authentication, 1100-1103 account, 1200-1201 parameters, 1300-1301 content policy: a UserError in one
  sentence. No message built here contains a key or a token.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, Optional

import requests

from zerohsi.errors import UserError
from zerohsi_kling.auth import TokenProvider
from zerohsi_kling.config import KlingConfig

log = logging.getLogger(__name__)

I2V_PATH = "/v1/videos/image2video"


class KlingError(UserError):
    """KLING refused the request for a reason the user must fix (keys, balance, parameters, content)."""

    def __init__(self, message: str, code: Optional[int] = None):
        super().__init__(message)
        self.code = code


class KlingUnavailable(UserError):
    """KLING kept failing (5xx, timeouts, rate limits) beyond the retry budget."""


class SubmitOutcomeUnknown(Exception):
    """A submission failed in a way that does not tell whether the task was created."""


def _refusal(code: int, message: str) -> Optional[KlingError]:
    """The one-sentence error for a code the user must act on, or None if the code is not one of those."""
    msg = (message or "no message").strip().rstrip(".")
    if 1000 <= code <= 1003:
        return KlingError(f"KLING rejected the API keys (code {code}: {msg}); check KLING_ACCESS_KEY and "
                          "KLING_SECRET_KEY.", code)
    if 1100 <= code <= 1103:
        return KlingError(f"KLING refused the request for account reasons (code {code}: {msg}); check the "
                          "account's balance and resource packs.", code)
    if 1200 <= code <= 1201:
        return KlingError(f"KLING rejected the request parameters (code {code}: {msg}); fix the kling options "
                          "(model_name, mode, duration, cfg_scale) or the first frame.", code)
    if 1300 <= code <= 1301:
        return KlingError(f"KLING refused the content under its content policy (code {code}: {msg}); change the "
                          "prompt or the first frame.", code)
    return None


class KlingClient:
    def __init__(self, cfg: KlingConfig, tokens: TokenProvider, *, session: Optional[requests.Session] = None,
                 sleep: Callable[[float], None] = time.sleep, rng: Optional[random.Random] = None):
        self.cfg = cfg
        self.base_url = cfg.base_url.rstrip("/")
        self.tokens = tokens
        self.session = session or requests.Session()
        self.sleep = sleep
        self.rng = rng or random.Random()

    # -- API ------------------------------------------------------------------------------------------------------
    def create_task(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST the image-to-video task; returns ``data`` (task_id, task_status, ...)."""
        return self._call("POST", I2V_PATH, body, submit=True)

    def get_task(self, task_id: str) -> dict[str, Any]:
        return self._call("GET", f"{I2V_PATH}/{task_id}")

    def find_task(self, external_task_id: str, *, page_size: int = 500) -> Optional[dict[str, Any]]:
        """The task submitted with ``external_task_id`` among the account's recent tasks, or None."""
        data = self._call("GET", I2V_PATH, params={"pageNum": 1, "pageSize": page_size})
        for task in data if isinstance(data, list) else []:
            info = task.get("task_info") or {}
            if info.get("external_task_id") == external_task_id or task.get("external_task_id") == external_task_id:
                return task
        return None

    def download(self, url: str) -> bytes:
        """The result file's bytes, verified against Content-Length. No Authorization header: result URLs point to
        a storage host that must never see our token."""
        for attempt in range(self.cfg.max_retries + 1):
            try:
                resp = self.session.get(url, timeout=self.cfg.download_timeout_s)
                if resp.status_code == 200:
                    data = resp.content
                    expected = resp.headers.get("Content-Length")
                    if not data:
                        raise OSError("empty download")
                    if expected is not None and int(expected) != len(data):
                        raise OSError(f"truncated download ({len(data)} of {expected} bytes)")
                    return data
                if resp.status_code in (403, 404, 410):
                    raise ExpiredResult(f"result URL answered HTTP {resp.status_code}")
                reason = f"HTTP {resp.status_code}"
            except ExpiredResult:
                raise
            except (requests.RequestException, OSError) as exc:
                reason = _describe(exc)
            self.backoff(attempt, f"download failed ({reason})")
        raise KlingUnavailable(f"Could not download the KLING result after {self.cfg.max_retries + 1} tries; run "
                               "again to resume (the task id is saved).")

    # -- transport ------------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Optional[dict] = None, *, params: Optional[dict] = None,
              submit: bool = False) -> Any:
        attempt = rate_waits = token_renewals = 0
        while True:
            try:
                resp = self.session.request(
                    method, self.base_url + path, json=body, params=params, timeout=self.cfg.request_timeout_s,
                    headers={"Authorization": f"Bearer {self.tokens.token()}", "Content-Type": "application/json"})
            except requests.RequestException as exc:
                reason = _describe(exc)
                if submit:
                    raise SubmitOutcomeUnknown(reason) from None
                attempt = self._retry_or_raise(attempt, reason)
                continue
            try:
                payload = resp.json()
                code = int(payload.get("code", -1)) if isinstance(payload, dict) else -1
                message = str(payload.get("message", "")) if isinstance(payload, dict) else ""
            except ValueError:
                payload, code, message = None, -1, "malformed JSON"
            if resp.status_code == 200 and code == 0:
                return payload.get("data")
            if code == 1004 or (resp.status_code == 401 and code == -1):
                token_renewals += 1
                if token_renewals > 2:
                    raise KlingError("KLING keeps rejecting freshly signed tokens as expired; check the system "
                                     "clock and the keys.", code)
                self.tokens.invalidate()
                continue
            refusal = _refusal(code, message)
            if refusal is not None:
                raise refusal from None
            if resp.status_code == 429 or code in (1302, 1303):
                rate_waits += 1
                if rate_waits > self.cfg.max_rate_limit_waits:
                    raise KlingUnavailable(f"KLING kept answering with its {'concurrency' if code == 1303 else 'rate'}"
                                           " limit; run again later (or lower the number of parallel runs).")
                wait = max(self.cfg.rate_limit_wait_s, self._delay(rate_waits - 1))
                log.info("KLING %s limit (code %s); waiting %.1f s", "concurrency" if code == 1303 else "rate",
                         code, wait)
                self.sleep(wait)
                continue
            reason = f"HTTP {resp.status_code}, code {code}: {message[:200]}"
            if resp.status_code >= 500 or code == 5000 or payload is None:
                if submit:
                    raise SubmitOutcomeUnknown(reason)
                attempt = self._retry_or_raise(attempt, reason)
                continue
            raise KlingError(f"KLING refused the request ({reason}); check the kling options.", code)

    def _retry_or_raise(self, attempt: int, reason: str) -> int:
        if attempt >= self.cfg.max_retries:
            raise KlingUnavailable(f"KLING did not answer properly after {attempt + 1} tries ({reason}); run again "
                                   "later (a submitted task is resumed, not paid again).")
        self.backoff(attempt, reason)
        return attempt + 1

    def _delay(self, attempt: int) -> float:
        cap = min(self.cfg.backoff_max_s, self.cfg.backoff_base_s * (2.0 ** attempt))
        return cap * (0.5 + 0.5 * self.rng.random())  # jitter keeps parallel runs from retrying in lockstep

    def backoff(self, attempt: int, reason: str) -> None:
        delay = self._delay(attempt)
        log.warning("KLING request failed (%s); retrying in %.2f s", reason, delay)
        self.sleep(delay)


class ExpiredResult(OSError):
    """The result URL no longer serves the file (result URLs expire): ask the task for a fresh one."""


def _describe(exc: BaseException) -> str:
    """A short reason without URLs' query strings or headers (which could carry signed parameters)."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection error"
    return type(exc).__name__ if not isinstance(exc, OSError) or not str(exc) else str(exc)[:200]
