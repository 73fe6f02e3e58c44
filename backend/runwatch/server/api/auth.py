"""Access to the dashboard: an optional token (RUNWATCH_AUTH_TOKEN) and/or a users file.

Every route needs it — REST, `/stream`, the page and its assets — except `/login` and
`/logout`. A request is let in with any of:

- the session cookie set by `/login` (HttpOnly, SameSite=Strict): what the page uses, since
  EventSource cannot send an Authorization header but does send same-origin cookies;
- `Authorization: Bearer <token>` (scripts, curl);
- `?token=<token>` (a link or a bare EventSource; it lands in access logs, so prefer the
  header).

Without one: 401 — with the login form as body when the client asked for HTML, JSON
otherwise. Secrets are compared with hmac.compare_digest. The cookie is
`user.expiry.signature`, signed with a key derived from the token and the users file, so
changing either logs everyone out, and a server restart does not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import time
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from runwatch.server.api.passwords import load_users, verify_password

COOKIE = "runwatch_session"
SESSION_SEC = 30 * 24 * 3600
OPEN_PATHS = frozenset({"/login", "/logout"})


class Authenticator:
    def __init__(self, token: str | None, users: dict[str, str] | None = None,
                 users_text: bytes = b"") -> None:
        self.token = token or None
        self.users = users or {}
        self._key = hashlib.sha256(b"runwatch-session\0" + (self.token or "").encode() + b"\0"
                                   + users_text).digest()

    @classmethod
    def from_settings(cls, token: str | None, users_file: Path | None) -> Authenticator:
        if users_file is None:
            return cls(token)
        return cls(token, load_users(users_file), users_file.read_bytes())

    @property
    def enabled(self) -> bool:
        return self.token is not None or bool(self.users)

    def token_ok(self, given: str | None) -> bool:
        if self.token is None or not given:
            return False
        return hmac.compare_digest(given.encode(), self.token.encode())

    def password_ok(self, user: str, password: str) -> bool:
        stored = self.users.get(user)
        if stored is None:
            verify_password(password, _DUMMY_HASH)  # same work for unknown names
            return False
        return verify_password(password, stored)

    def session_cookie(self, user: str, now: float | None = None) -> str:
        expiry = int((time.time() if now is None else now) + SESSION_SEC)
        payload = base64.urlsafe_b64encode(json.dumps([user, expiry]).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}"

    def session_ok(self, cookie: str | None, now: float | None = None) -> bool:
        if not cookie or "." not in cookie:
            return False
        payload, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return False
        try:
            user, expiry = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, TypeError):
            return False
        alive = float(expiry) > (time.time() if now is None else now)
        return alive and (user == "token" and self.token is not None or user in self.users)

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def allows(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_ok(credentials.strip()):
            return True
        if self.session_ok(_cookie(headers, COOKIE)):
            return True
        return self.token_ok(QueryParams(scope.get("query_string", b"")).get("token"))


_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _cookie(headers: Headers, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class AuthMiddleware:
    """Pure ASGI (streams pass through untouched): 401 unless `authenticator.allows`."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or self.auth.allows(scope):
            await self.app(scope, receive, send)
            return
        response: Any
        if "text/html" in Headers(scope=scope).get("accept", ""):
            from runwatch.server.api.routes.login import login_page

            response = login_page(self.auth, next_path=scope["path"], status_code=401)
        else:
            response = JSONResponse({"detail": "authentication required: log in at /login, or send "
                                     "Authorization: Bearer <RUNWATCH_AUTH_TOKEN>"}, status_code=401,
                                    headers={"WWW-Authenticate": 'Bearer realm="runwatch"'})
        await response(scope, receive, send)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, auth: Authenticator) -> str | None:
    if auth.enabled or is_loopback(host):
        return None
    return (f"the dashboard is bound to {host} WITHOUT authentication: anyone who can reach this "
            "address can read every run and run SQL. Set RUNWATCH_AUTH_TOKEN (or RUNWATCH_USERS_FILE), "
            "or bind to 127.0.0.1.")

