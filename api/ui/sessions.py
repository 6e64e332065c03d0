"""Browser sessions for the web UI: an API key exchanged for an httpOnly cookie.

The session store is server-side and in memory: the cookie carries only a random session id;
the key it was created from stays in this process (never on disk, never logged) and is
presented to the API on the browser's behalf, so a session authenticates exactly as its key
(same role checks, revoking the key ends the session). CSRF: every cookie-authenticated
request that changes state must send ``X-CSRF-Token`` equal to HMAC(secret, session id), the
value the UI reads from the non-httpOnly ``og_csrf`` cookie (signed double submit). The HMAC
secret is generated once into ``<home>/ui-secret`` (mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from api.auth import Principal

SESSION_COOKIE = "og_session"
CSRF_COOKIE = "og_csrf"
CSRF_HEADER = "x-csrf-token"
IDLE_SECONDS = 8 * 3600
MAX_AGE_SECONDS = 12 * 3600
MAX_SESSIONS = 10_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# only these paths accept the session cookie in place of an API key
API_PREFIXES = ("/v1/", "/reconcile")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Session:
    token: str  # the API key this session was created from
    principal: Principal
    created: float
    seen: float


def load_secret(home: Path) -> bytes:
    """The HMAC secret, created with mode 0600 on first use; never logged."""
    path = home / "ui-secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_bytes().strip()


class SessionStore:
    """Session id -> session, bounded and expiring; thread-safe."""

    def __init__(self, home: Path, clock: Callable[[], float] = time.time) -> None:
        self.home = home
        self.clock = clock
        self._secret: bytes | None = None
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    @property
    def secret(self) -> bytes:
        if self._secret is None:  # lazily: creating an app must not touch the disk
            self._secret = load_secret(self.home)
        return self._secret

    def create(self, token: str, principal: Principal) -> str:
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            self._sessions[sid] = Session(token, principal, now, now)
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return sid

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        now = self.clock()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.seen > IDLE_SECONDS or now - session.created > MAX_AGE_SECONDS:
                del self._sessions[sid]
                return None
            session.seen = now
            self._sessions.move_to_end(sid)
            return session

    def drop(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def csrf(self, sid: str) -> str:
        return hmac.new(self.secret, b"csrf|" + sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, sid: str, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf(sid), presented or "")


def cookies_of(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:  # a malformed cookie header is ignored, not an error
                continue
    return {k: m.value for k, m in jar.items()}


class SessionAuth:
    """ASGI layer in front of the API: a request with a valid session cookie and no key of
    its own is authenticated with the session's key; state-changing ones need the CSRF
    header first. Requests with their own key, or no session, pass unchanged."""

    def __init__(self, app: ASGIApp, sessions: SessionStore) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        if any(k in (b"authorization", b"x-api-key") for k, _ in headers):
            await self.app(scope, receive, send)
            return
        sid = cookies_of(scope).get(SESSION_COOKIE)
        session = self.sessions.get(sid)
        if session is None or sid is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            presented = dict(headers).get(CSRF_HEADER.encode())
            if not self.sessions.csrf_ok(sid, presented.decode("latin-1") if presented else None):
                await _csrf_refused(scope, receive, send)
                return
        scope = dict(scope)
        scope["headers"] = [*headers, (b"authorization", f"Bearer {session.token}".encode())]
        await self.app(scope, receive, send)


async def _csrf_refused(scope: Scope, receive: Receive, send: Send) -> None:
    from api.problems import problem

    response = problem(403, "csrf_failed", "missing or wrong X-CSRF-Token header for a "
                       "cookie-authenticated request that changes state", "X-CSRF-Token")
    await response(scope, receive, send)
