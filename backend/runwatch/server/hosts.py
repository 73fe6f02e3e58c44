"""Host-header checking for both HTTP servers (DNS-rebinding protection).

A page on any web site can point a name it controls at 127.0.0.1 and then make the browser
send requests to a localhost service as if they were same-origin; the one thing it cannot
change is the `Host` header, which still carries the attacker's name. So both servers answer
only requests whose Host is a loopback name, the address they are bound to, or a name the
operator configured (`RUNWATCH_ALLOWED_HOSTS` / `--allowed-hosts`, for a reverse proxy or a
LAN name); anything else gets 400 before a route runs.

Starlette's TrustedHostMiddleware does the same but splits the header at the first colon,
which refuses every IPv6 literal (`[::1]:8123`); this keeps its rules (exact names,
`*.domain` wildcards, `*` for any) with a parser that understands brackets.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("localhost", "*.localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("", "0.0.0.0", "::")


def default_allowed_hosts(bind_host: str) -> list[str]:
    """Loopback names and the bound address; on a wildcard bind also this machine's names
    (what another machine on the network would type), nothing else."""
    hosts = list(LOOPBACK_NAMES)
    if bind_host in WILDCARD_BINDS:
        hosts += [socket.gethostname(), socket.getfqdn()]
    else:
        hosts.append(bind_host)
    return _unique(hosts)


def parse_allowed_hosts(value: str | None, bind_host: str) -> list[str]:
    """`value` is a comma-separated list (`*` allows any Host); None or empty: the defaults.
    Loopback names stay allowed in any case, so local tools keep working behind a proxy."""
    given = [part.strip() for part in (value or "").split(",") if part.strip()]
    if not given:
        return default_allowed_hosts(bind_host)
    return _unique([*given, *LOOPBACK_NAMES])


def host_name(header: str) -> str:
    """The name part of a Host header value, lower-case: `[::1]:80` → `::1`, `a.b:8` → `a.b`."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else ""
    if header.count(":") > 1:  # a bare IPv6 literal (not valid in Host, but unambiguous)
        return header
    return header.partition(":")[0].rstrip(".")


def host_allowed(name: str, allowed: Iterable[str]) -> bool:
    for pattern in allowed:
        pattern = pattern.lower().strip("[]")
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class AllowedHostsMiddleware:
    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":  # neither server has websocket routes
            name = host_name(Headers(scope=scope).get("host", ""))
            if not name or not host_allowed(name, self.allowed):
                response = PlainTextResponse(
                    "Invalid Host header: this server answers only to loopback names and "
                    "RUNWATCH_ALLOWED_HOSTS\n", status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))
