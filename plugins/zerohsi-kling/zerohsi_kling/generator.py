"""The ``kling`` video generator: submit I0 + prompt, poll, download, decode.

Paying twice for one request is what this module is built to prevent. Before anything is sent, a task file in the
request's work folder (``kling_task.json``) records a fresh ``external_task_id``; the server's task id is added as
soon as the submission is accepted, before any polling. A re-run with the same work folder (the video cache gives
every request a stable one) therefore resumes the same task: by its task id, or, when a crash or an ambiguous
failure hit the submission itself, by finding the task with our external id in the account's task list. KLING
refuses a second task with the same external id, which closes the remaining gap.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import numpy as np

from zerohsi.errors import UserError
from zerohsi.io import atomic_write_bytes, atomic_write_json
from zerohsi.video.base import VideoRequest
from zerohsi.video.file import first_frame_difference
from zerohsi.video.io import encode_png, read_video, resize_frames, to_uint8
from zerohsi.video.video import Video
from zerohsi_kling.auth import KlingCredentials, TokenProvider
from zerohsi_kling.client import ExpiredResult, KlingClient, KlingError, SubmitOutcomeUnknown
from zerohsi_kling.config import KlingConfig

log = logging.getLogger(__name__)

TASK_FILE = "kling_task.json"
MODES = ("std", "pro")
DURATIONS = ("5", "10")
MAX_PROMPT_CHARS = 2500


class KlingGenerator:
    """KLING image-to-video. Keys are read from the environment when a video is actually generated, so cached
    videos can be reused without them."""

    name = "kling"
    #: KLING returns its own 5 s / 10 s clip whatever the run's fps: the cache resamples it instead of re-buying
    length_independent = True

    def __init__(self, cfg: KlingConfig, *, session=None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, token_clock: Callable[[], float] = time.time):
        if cfg.mode not in MODES:
            raise UserError(f"kling mode '{cfg.mode}' is not one of {', '.join(MODES)}; set "
                            "video.generator.options.mode.")
        cfg.duration = str(cfg.duration)
        if cfg.duration not in DURATIONS:
            raise UserError(f"kling duration '{cfg.duration}' is not one of {', '.join(DURATIONS)} (seconds); set "
                            "video.generator.options.duration.")
        if not 0.0 <= cfg.cfg_scale <= 1.0:
            raise UserError(f"kling cfg_scale {cfg.cfg_scale} is outside 0..1; set video.generator.options.cfg_scale.")
        self.cfg = cfg
        self._session = session
        self._sleep = sleep
        self._clock = clock
        self._token_clock = token_clock

    def cache_key(self) -> dict:
        key = {"api": "kling-image2video", "model_name": self.cfg.model_name, "mode": self.cfg.mode,
               "duration": self.cfg.duration, "negative_prompt": self.cfg.negative_prompt,
               "min_image_side_px": self.cfg.min_image_side_px}
        if self._sends_cfg_scale():
            key["cfg_scale"] = self.cfg.cfg_scale
        return key

    def _sends_cfg_scale(self) -> bool:
        return self.cfg.model_name.startswith("kling-v1")

    # -- generation -----------------------------------------------------------------------------------------------
    def generate(self, request: VideoRequest) -> Video:
        if len(request.prompt) > MAX_PROMPT_CHARS:
            raise UserError(f"The prompt has {len(request.prompt)} characters but KLING accepts at most "
                            f"{MAX_PROMPT_CHARS}; shorten it.")
        workdir = Path(request.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        client = self._client()
        task_file = workdir / TASK_FILE
        state = _read_state(task_file)
        task_id = state.get("task_id") or self._submit(client, request, task_file, state)
        log.info("KLING task %s: waiting for the result", task_id)
        url = self._wait(client, task_id, task_file)
        video = self._fetch(client, task_id, url, workdir)
        h, w = request.first_frame.shape[:2]
        frames = resize_frames(video.frames, h, w)
        _write_state(task_file, {**_read_state(task_file), "phase": "downloaded"})
        return Video(frames, video.fps, {
            "generator": "kling", "model": self.cfg.model_name, "mode": self.cfg.mode, "duration": self.cfg.duration,
            "task_id": task_id, "seed_honored": False,  # the API takes no seed: KLING videos are not reproducible
            "native_size": [video.width, video.height], "source_hash": video.provenance.get("source_hash"),
            "first_frame_difference": first_frame_difference(frames[0], request.first_frame),
        })

    def _client(self) -> KlingClient:
        tokens = TokenProvider(KlingCredentials.from_env(), margin_s=self.cfg.token_refresh_margin_s,
                               clock=self._token_clock)
        return KlingClient(self.cfg, tokens, session=self._session, sleep=self._sleep)

    def _body(self, request: VideoRequest, external_task_id: str) -> dict[str, Any]:
        body = {"model_name": self.cfg.model_name, "image": _image_b64(request.first_frame,
                                                                       self.cfg.min_image_side_px),
                "prompt": request.prompt, "negative_prompt": self.cfg.negative_prompt, "mode": self.cfg.mode,
                "duration": self.cfg.duration, "external_task_id": external_task_id}
        if self._sends_cfg_scale():
            body["cfg_scale"] = self.cfg.cfg_scale
        return body

    def _submit(self, client: KlingClient, request: VideoRequest, task_file: Path, state: dict) -> str:
        external = state.get("external_task_id")
        resuming = bool(external)
        if external:
            # a previous run died while submitting: the task may exist already
            found = client.find_task(external)
            if found is not None:
                return self._accept(task_file, state, found, resumed=True)
        else:
            external = f"zerohsi-{uuid.uuid4().hex}"
            state = {"external_task_id": external, "model_name": self.cfg.model_name, "phase": "submitting",
                     "submitted_at": time.time()}
            _write_state(task_file, state)
        body = self._body(request, external)
        for attempt in range(self.cfg.max_retries + 1):
            try:
                return self._accept(task_file, state, client.create_task(body), resumed=False)
            except SubmitOutcomeUnknown as exc:
                log.warning("KLING submission outcome unknown (%s); looking the task up before trying again", exc)
            except KlingError as exc:
                # a repeated submission that KLING refuses because our external id exists: the first one went in
                if exc.code not in (1200, 1201) or (attempt == 0 and not resuming):
                    raise
            found = self._reconcile(client, external)
            if found is not None:
                return self._accept(task_file, state, found, resumed=True)
            client.backoff(attempt, "submission not found after an ambiguous failure")
        raise UserError("KLING did not confirm the submission after several tries; run again later (the external "
                        f"task id {external} is saved, so an accepted task is resumed rather than paid again).")

    def _reconcile(self, client: KlingClient, external: str) -> Optional[dict]:
        """The task submitted under ``external``, searched for over ``reconcile_window_s`` (a late-committing server
        lists it only after a while), or None when it never shows up, so a resubmission cannot pay twice for it."""
        deadline = self._clock() + self.cfg.reconcile_window_s
        while True:
            found = client.find_task(external)
            if found is not None or self._clock() >= deadline:
                return found
            self._sleep(max(0.0, min(self.cfg.reconcile_poll_s, deadline - self._clock())))

    def _accept(self, task_file: Path, state: dict, data: dict, *, resumed: bool) -> str:
        task_id = str(data["task_id"])
        _write_state(task_file, {**state, "task_id": task_id, "phase": "submitted"})
        log.info("KLING task %s %s", task_id, "found after an interrupted submission" if resumed else "submitted")
        return task_id

    def _wait(self, client: KlingClient, task_id: str, task_file: Path) -> str:
        deadline = self._clock() + self.cfg.max_wait_s
        while True:
            try:
                data = client.get_task(task_id)
            except KlingError as exc:
                if exc.code not in (1200, 1201):
                    raise
                key = task_file.parent.name.removeprefix(".pending-")
                raise UserError(f"KLING no longer knows task {task_id}, saved by an earlier run in {task_file} (it "
                                "expired or belongs to other API keys); check KLING_ACCESS_KEY, or forget it with "
                                f"`zerohsi cache clear --in-flight --key {key}` and run again, which buys a new "
                                "video.") from None
            status = data.get("task_status")
            if status == "succeed":
                videos = (data.get("task_result") or {}).get("videos") or []
                if not videos or not videos[0].get("url"):
                    raise UserError(f"KLING task {task_id} succeeded without a video URL; run again to re-query it.")
                return str(videos[0]["url"])
            if status == "failed":
                reason = str(data.get("task_status_msg") or "no reason given").rstrip(".")
                task_file.unlink(missing_ok=True)  # a failed task is finished: the next run submits a new one
                raise UserError(f"KLING task {task_id} failed ({reason}); change the prompt or first frame and run "
                                "again.")
            if self._clock() >= deadline:
                raise UserError(f"KLING task {task_id} is still '{status}' after {self.cfg.max_wait_s:.0f} s; run "
                                "again later to resume waiting for it (nothing is paid twice).")
            self._sleep(self.cfg.poll_interval_s)

    def _fetch(self, client: KlingClient, task_id: str, url: str, workdir: Path) -> Video:
        target = workdir / f"kling_{task_id}.mp4"
        if target.exists():  # a previous run downloaded it already
            try:
                return read_video(target)
            except UserError:
                target.unlink()
        for attempt in range(self.cfg.max_retries + 1):
            try:
                data = client.download(url)
            except ExpiredResult:
                url = self._wait(client, task_id, workdir / TASK_FILE)  # result URLs expire: ask for a fresh one
                continue
            atomic_write_bytes(target, data)
            try:
                return read_video(target)
            except UserError as exc:
                target.unlink(missing_ok=True)
                client.backoff(attempt, f"downloaded file does not decode ({exc})")
        raise UserError(f"The result of KLING task {task_id} could not be downloaded intact; run again to retry.")


def _image_b64(first_frame: np.ndarray, min_side: int) -> str:
    """I0 as raw base64 PNG (no ``data:`` prefix), upscaled so its shorter side is at least ``min_side`` px."""
    image = to_uint8(first_frame)
    h, w = image.shape[:2]
    if min(h, w) < min_side:
        s = min_side / min(h, w)
        image = resize_frames(image[None], int(round(h * s)), int(round(w * s)))[0]
    return base64.b64encode(encode_png(image)).decode("ascii")


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("ignoring unreadable %s", path)
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(path: Path, state: dict) -> None:
    atomic_write_json(path, state)


def load_task_state(workdir: str | Path) -> Optional[dict]:
    """The saved task state of a work folder (external_task_id, task_id, phase), or None."""
    state = _read_state(Path(workdir) / TASK_FILE)
    return state or None
