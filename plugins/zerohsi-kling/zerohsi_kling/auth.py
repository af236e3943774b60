"""KLING authentication: short-lived HS256 JWTs signed with the secret key, renewed before they expire.

The keys live only inside :class:`KlingCredentials`, whose repr hides them, so they cannot leak through logs,
tracebacks of our own exceptions or serialised configs.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from zerohsi.errors import UserError

ACCESS_ENV = "KLING_ACCESS_KEY"
SECRET_ENV = "KLING_SECRET_KEY"
TOKEN_LIFETIME_S = 1800
NOT_BEFORE_SLACK_S = 5


@dataclass(frozen=True)
class KlingCredentials:
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def __repr__(self) -> str:
        return "KlingCredentials(<hidden>)"

    @classmethod
    def from_env(cls) -> KlingCredentials:
        access, secret = os.environ.get(ACCESS_ENV, "").strip(), os.environ.get(SECRET_ENV, "").strip()
        missing = [name for name, value in ((ACCESS_ENV, access), (SECRET_ENV, secret)) if not value]
        if missing:
            raise UserError(f"The kling video generator needs {' and '.join(missing)} in the environment; export "
                            "your KLING API keys (or pick another generator, e.g. --plugins scripted).")
        return cls(access, secret)


class TokenProvider:
    """Bearer tokens: iss = access key, exp = now + 1800 s, nbf = now - 5 s; cached until ``margin_s`` before
    expiry, or until :meth:`invalidate` (the server said the token expired)."""

    def __init__(self, credentials: KlingCredentials, *, margin_s: float = 120.0,
                 clock: Callable[[], float] = time.time):
        self._credentials = credentials
        self._margin_s = margin_s
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires - self._margin_s:
                import jwt

                issued = int(now)
                self._expires = issued + TOKEN_LIFETIME_S
                with warnings.catch_warnings():
                    # PyJWT warns about short HMAC keys, quoting the secret's length on every call: KLING issues
                    # the keys, the user cannot lengthen them, and the length of a secret is not for logs
                    warnings.filterwarnings("ignore", message=".*HMAC key")
                    self._token = jwt.encode(
                        {"iss": self._credentials.access_key, "exp": issued + TOKEN_LIFETIME_S,
                         "nbf": issued - NOT_BEFORE_SLACK_S},
                        self._credentials.secret_key, algorithm="HS256", headers={"alg": "HS256", "typ": "JWT"})
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def __repr__(self) -> str:
        return "TokenProvider(<hidden>)"
