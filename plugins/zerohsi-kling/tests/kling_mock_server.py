"""A local stand-in for the KLING image-to-video API (127.0.0.1, a thread), with fault injection.

It speaks the documented request/response shapes, validates each request's HS256 JWT against the secret, counts
*paid submissions* (tasks it created), and serves the result file itself. Faults are queued per endpoint
("create", "query", "list", "download") and consumed one per request.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class MockKling:
    def __init__(self, access_key: str, secret_key: str, video_bytes: bytes, *, polls_before_success: int = 2,
                 hang_s: float = 0.6, unique_external_ids: bool = False, list_delay_s: float = 0.0):
        self.access_key, self.secret_key = access_key, secret_key
        self.video_bytes = video_bytes
        self.polls_before_success = polls_before_success
        self.hang_s = hang_s
        #: a created task appears in the task list only this long after its creation (a late-committing server)
        self.list_delay_s = list_delay_s
        #: the real API refuses a reused external_task_id; off by default so that the client's own bookkeeping,
        #: not this server-side guard, is what the tests prove
        self.unique_external_ids = unique_external_ids
        self.tasks: dict[str, dict] = {}
        self.submissions: list[dict] = []  # every task created (= paid)
        self.faults: dict[str, list[str]] = {"create": [], "query": [], "list": [], "download": []}
        self.revoked_tokens: set[str] = set()
        self.auth_failures: list[str] = []
        self.tokens_seen: set[str] = set()
        self.download_auth_headers: list[str | None] = []
        self.fail_tasks = False
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> MockKling:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, endpoint: str, *faults: str) -> None:
        self.faults[endpoint].extend(faults)

    def _fault(self, endpoint: str) -> str | None:
        with self._lock:
            return self.faults[endpoint].pop(0) if self.faults[endpoint] else None

    def create_task(self, body: dict) -> dict:
        with self._lock:
            task_id = f"task{len(self.submissions) + 1:04d}"
            task = {"task_id": task_id, "task_status": "submitted", "created_at": int(time.time() * 1000),
                    "updated_at": int(time.time() * 1000), "polls": 0, "body": body,
                    "external_task_id": body.get("external_task_id"), "failed": self.fail_tasks}
            self.tasks[task_id] = task
            self.submissions.append(body)
            return task

    def public(self, task: dict) -> dict:
        out = {k: task[k] for k in ("task_id", "task_status", "created_at", "updated_at")}
        out["task_info"] = {"external_task_id": task["external_task_id"]}
        if task["task_status"] == "failed":
            out["task_status_msg"] = "The image could not be animated"
        if task["task_status"] == "succeed":
            out["task_result"] = {"videos": [{"id": "v1", "url": f"{self.url}/files/{task['task_id']}.mp4",
                                              "duration": task["body"]["duration"]}]}
        return out

    def _handler(self):
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status: int, payload, *, raw: bytes | None = None, length: int | None = None,
                      ctype: str = "application/json") -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(length if length is not None else len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _api(self, code: int, message: str = "", data=None, status: int = 200) -> None:
                self._send(status, {"code": code, "message": message or "SUCCEED", "request_id": "req",
                                    "data": data})

            def _hang(self) -> None:
                time.sleep(mock.hang_s)

            def _authorised(self) -> bool:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Bearer "):
                    mock.auth_failures.append("missing")
                    self._api(1000, "Authorization header missing", status=401)
                    return False
                token = header[len("Bearer "):]
                mock.tokens_seen.add(token)
                if token in mock.revoked_tokens:
                    self._api(1004, "token expired", status=401)
                    return False
                try:
                    claims = jwt.decode(token, mock.secret_key, algorithms=["HS256"],
                                        options={"require": ["exp", "nbf", "iss"]})
                except jwt.ExpiredSignatureError:
                    self._api(1004, "token expired", status=401)
                    return False
                except jwt.PyJWTError as exc:
                    mock.auth_failures.append(type(exc).__name__)
                    self._api(1002, "token invalid", status=401)
                    return False
                if claims["iss"] != mock.access_key or not (claims["exp"] - claims["nbf"]) == 1805:
                    mock.auth_failures.append("claims")
                    self._api(1002, "token claims invalid", status=401)
                    return False
                return True

            def do_POST(self):  # noqa: N802
                mock.requests.append(("POST", self.path))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path != "/v1/videos/image2video":
                    return self._api(1200, "unknown path", status=404)
                if not self._authorised():
                    return None
                fault = mock._fault("create")
                if fault == "429":
                    return self._api(1302, "rate limit exceeded", status=429)
                if fault == "1303":
                    return self._api(1303, "parallel task limit exceeded", status=429)
                if fault == "500":
                    return self._api(5000, "internal error", status=500)
                if fault == "content_policy":
                    return self._api(1301, "the image violates the content policy", status=400)
                problem = validate_create(body)
                if problem:
                    return self._api(1201, problem, status=400)
                ext = body.get("external_task_id")
                if ext and mock.unique_external_ids and any(t["external_task_id"] == ext for t in mock.tasks.values()):
                    return self._api(1201, "external_task_id already exists", status=400)
                task = mock.create_task(body)
                if fault == "500_after_create":
                    return self._api(5000, "internal error", status=500)
                if fault == "hang_after_create":
                    return self._hang()
                if fault == "malformed_after_create":
                    return self._send(200, None, raw=b'{"code": 0, "data": {"task_')
                return self._api(0, data=mock.public(task))

            def do_GET(self):  # noqa: N802
                mock.requests.append(("GET", self.path))
                parsed = urlparse(self.path)
                if parsed.path.startswith("/files/"):
                    return self._download(parsed.path)
                if not self._authorised():
                    return None
                if parsed.path == "/v1/videos/image2video":
                    if mock._fault("list") == "500":
                        return self._api(5000, "internal error", status=500)
                    size = int(parse_qs(parsed.query).get("pageSize", ["30"])[0])
                    now_ms = time.time() * 1000
                    listed = [t for t in mock.tasks.values() if now_ms - t["created_at"] >= 1000 * mock.list_delay_s]
                    tasks = sorted(listed, key=lambda t: -t["created_at"])[:size]
                    return self._api(0, data=[mock.public(t) for t in tasks])
                task_id = parsed.path.rsplit("/", 1)[-1]
                fault = mock._fault("query")
                if fault == "500":
                    return self._api(5000, "internal error", status=500)
                if fault == "hang":
                    return self._hang()
                if fault == "malformed":
                    return self._send(200, None, raw=b"<html>502 Bad Gateway</html>", ctype="text/html")
                if fault == "429":
                    return self._api(1302, "rate limit exceeded", status=429)
                if fault == "expired_token":
                    mock.revoked_tokens.add(self.headers["Authorization"][len("Bearer "):])
                    return self._api(1004, "token expired", status=401)
                task = mock.tasks.get(task_id)
                if task is None:
                    return self._api(1201, "task not found", status=404)
                task["polls"] += 1
                if task["polls"] > mock.polls_before_success:
                    task["task_status"] = "failed" if task["failed"] else "succeed"
                else:
                    task["task_status"] = "processing"
                return self._api(0, data=mock.public(task))

            def _download(self, path: str) -> None:
                mock.download_auth_headers.append(self.headers.get("Authorization"))
                fault = mock._fault("download")
                data = mock.video_bytes
                if fault == "truncated":
                    return self._send(200, None, raw=data[: len(data) // 2], length=len(data), ctype="video/mp4")
                if fault == "garbage":
                    return self._send(200, None, raw=b"\x00" * 512, ctype="video/mp4")
                if fault == "expired":
                    return self._send(403, None, raw=b"AccessDenied", ctype="text/plain")
                if fault == "500":
                    return self._send(500, None, raw=b"oops", ctype="text/plain")
                return self._send(200, None, raw=data, ctype="video/mp4")

        return Handler


def validate_create(body: dict) -> str | None:
    """What the documented API would reject in a create request, or None."""
    if body.get("model_name") not in ("kling-v1", "kling-v1-5", "kling-v1-6", "kling-v2-master", "kling-v2-1"):
        return "model_name invalid"
    image = body.get("image")
    if not isinstance(image, str) or image.startswith("data:"):
        return "image must be a URL or raw base64"
    try:
        raw = base64.b64decode(image, validate=True)
    except ValueError:
        return "image is not base64"
    if not raw.startswith(PNG_MAGIC):
        return "image is not a PNG/JPEG"
    if not isinstance(body.get("prompt"), str) or len(body["prompt"]) > 2500:
        return "prompt invalid"
    if body.get("duration") not in ("5", "10"):
        return "duration must be the string 5 or 10"
    if body.get("mode") not in ("std", "pro"):
        return "mode invalid"
    if "cfg_scale" in body and not 0 <= float(body["cfg_scale"]) <= 1:
        return "cfg_scale out of range"
    return None
