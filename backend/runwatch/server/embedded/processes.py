"""The queries running through this server, by the client's query_id.

chDB gives every query an id of its own and takes none from the caller, so the engine's
`system.processes` cannot show a client's `query_id`. This registry is what knows it: a
streamed query is registered under the client's id while it runs, `KILL QUERY WHERE
query_id = ...` (handled by the server, see `kill_filter`) and a client's disconnect cancel
it through the engine's streaming API, and a second query with an id that is still running
is refused (QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING), as on clickhouse-server.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from runwatch.server.embedded import querytext
from runwatch.server.embedded.errors import EngineError

# KILL QUERY [ON CLUSTER c] WHERE <expr> [SYNC|ASYNC|TEST] [FORMAT f] [SETTINGS ...]
_KILL = re.compile(
    r"^\s*KILL\s+QUERY\s+(?:ON\s+CLUSTER\s+\S+\s+)?WHERE\s+(?P<where>.+?)"
    r"(?:\s+(?P<mode>SYNC|ASYNC|TEST))?(?:\s+FORMAT\s+(?P<format>\w+))?\s*;?\s*$",
    re.I | re.S,
)


@dataclass(frozen=True)
class KillRequest:
    where: str  # the condition, evaluated by the engine over the registry's rows
    test: bool  # TEST: report what would be killed, kill nothing
    format: str | None


def kill_filter(sql: str) -> KillRequest | None:
    sql = " ".join(sql[start:end] for kind, start, end in querytext.lexemes(sql) if kind != "comment")
    match = _KILL.match(sql)
    if match is None:
        return None
    mode = (match.group("mode") or "").upper()
    return KillRequest(match.group("where"), mode == "TEST", match.group("format"))


@dataclass
class Running:
    query_id: str
    user: str
    query: str
    cancel: Callable[[], None]
    started: float = field(default_factory=time.monotonic)
    killed: bool = False


class ProcessRegistry:
    def __init__(self) -> None:
        self._running: dict[str, Running] = {}
        self._lock = threading.Lock()

    def register(self, entry: Running) -> None:
        with self._lock:
            if entry.query_id in self._running:
                raise EngineError.named(
                    "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
                    f"Query with id = {entry.query_id} is already running")
            self._running[entry.query_id] = entry

    def unregister(self, entry: Running) -> None:
        with self._lock:
            if self._running.get(entry.query_id) is entry:
                del self._running[entry.query_id]

    def snapshot(self) -> list[Running]:
        with self._lock:
            return list(self._running.values())

    def get(self, query_id: str) -> Running | None:
        with self._lock:
            return self._running.get(query_id)

    def kill(self, query_ids: list[str]) -> list[Running]:
        """Cancel the named queries (blocking: the engine stops each one)."""
        with self._lock:
            victims = [self._running[q] for q in query_ids if q in self._running]
        for entry in victims:
            entry.killed = True
            entry.cancel()
        return victims
