"""HTTP sessions (`session_id`): one persistent chDB connection per session.

As in clickhouse-server, a session keeps SET settings, the current database and temporary
tables between requests; a request arriving while the session is busy fails with
SESSION_IS_LOCKED (373); an idle session expires `session_timeout` seconds (default 60)
after its last request. A reaper thread closes expired sessions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runwatch.server.embedded.errors import EngineError

log = logging.getLogger(__name__)

DEFAULT_SESSION_TIMEOUT_SEC = 60.0
MAX_SESSION_TIMEOUT_SEC = 3600.0


@dataclass
class Session:
    session_id: str
    conn: Any
    timeout: float
    expires_at: float
    busy: bool = False
    closed: bool = False
    # Whether a statement of its own (SET, ...) may have changed a setting: until then every
    # setting is at its default, so a request's URL settings are reset to DEFAULT afterwards
    # without first reading their values (a system.settings query, ~5 ms per request).
    settings_changed: bool = False


class SessionRegistry:
    """Sessions by id. `acquire` marks a session busy (creating it if needed); `release`
    frees it and restarts its idle timer. Thread-safe; the connection factory runs outside
    the registry lock."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        reap_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._reap_interval = reap_interval
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def acquire(self, session_id: str, timeout: float | None, check: bool = False) -> Session:
        timeout = min(timeout or DEFAULT_SESSION_TIMEOUT_SEC, MAX_SESSION_TIMEOUT_SEC)
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                if session.busy:
                    raise EngineError.named(
                        "SESSION_IS_LOCKED", f"Session {session_id} is locked by a concurrent client"
                    )
                session.busy = True
                session.timeout = timeout
                return session
            if check:
                raise EngineError.named(
                    "SESSION_NOT_FOUND", f"Session {session_id} not found"
                )
        conn = self._connect()  # outside the lock: opening takes a moment
        with self._lock:
            if session_id in self._sessions:  # lost a race with a concurrent first request
                conn.close()
                raise EngineError.named(
                    "SESSION_IS_LOCKED", f"Session {session_id} is locked by a concurrent client"
                )
            session = Session(session_id, conn, timeout, self._clock() + timeout, busy=True)
            self._sessions[session_id] = session
            return session

    def release(self, session: Session, close: bool = False) -> None:
        with self._lock:
            session.busy = False
            session.expires_at = self._clock() + session.timeout
            if close:
                self._sessions.pop(session.session_id, None)
        if close:
            self._close(session)

    def reap(self) -> int:
        """Close every idle session past its timeout; returns how many."""
        now = self._clock()
        with self._lock:
            expired = [s for s in self._sessions.values() if not s.busy and s.expires_at <= now]
            for session in expired:
                del self._sessions[session.session_id]
        for session in expired:
            self._close(session)
        return len(expired)

    def _close(self, session: Session) -> None:
        session.closed = True
        try:
            session.conn.close()
        except Exception as exc:  # closing must never take the server down
            log.warning("closing session %s: %s", session.session_id, exc)

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="runwatch-ch-session-reaper", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._reap_interval):
            self.reap()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the reaper and close every session (busy ones included: the server is
        going away)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            self._close(session)

    def flush(self, timeout: float = 0.0) -> None:
        """Nothing is buffered; present for the start/stop/flush convention."""
