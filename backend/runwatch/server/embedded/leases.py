"""The connection a request runs on: its session's, or a fresh one of its own.

A fresh connection carries the request's settings and database for its whole (short) life,
like the query context clickhouse-server makes per HTTP request. A session's connection
outlives the request, so the request's settings are applied with SET and restored
afterwards (they must not leak: an `insert_deduplication_token` left set would silently
drop the session's next insert), and its `database` parameter is applied with USE. Their
values before are read only once the session ran a statement that may change settings
(Session.settings_changed); until then they go back to DEFAULT.

Leases are acquired and released in worker threads (both may block on the engine).
"""

from __future__ import annotations

from typing import Any

from runwatch.server.embedded import engine as eng
from runwatch.server.embedded.engine import Engine
from runwatch.server.embedded.options import RequestOptions
from runwatch.server.embedded.sessions import Session, SessionRegistry

# Statements that leave a session's settings as they are (a SETTINGS clause is the
# statement's own); any other (SET, SET ROLE, SYSTEM ...) may change them.
SETTINGS_KEPT_BY = frozenset({
    "SELECT", "WITH", "INSERT", "SHOW", "DESC", "DESCRIBE", "EXISTS", "EXPLAIN", "CHECK",
    "CREATE", "DROP", "ALTER", "OPTIMIZE", "TRUNCATE", "RENAME", "KILL", "USE",
})


class Lease:
    """One request's hold on a connection. `release()` is idempotent."""

    def __init__(
        self,
        conn: Any,
        *,
        session: Session | None = None,
        registry: SessionRegistry | None = None,
        close_session: bool = False,
    ) -> None:
        self.conn = conn
        self.session = session
        self._registry = registry
        self.snapshot: dict[str, tuple[str, bool]] = {}
        self.session_database: str | None = None  # to restore after a `database` parameter
        self._close_session = close_session
        self._released = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        if self.session is None:
            self.conn.close()
            return
        try:
            if self.snapshot:
                eng.restore_settings(self.conn, self.snapshot)
            if self.session_database is not None:
                eng.run_statement(self.conn, f"USE {eng.quote_identifier(self.session_database)}")
        finally:
            assert self._registry is not None
            self._registry.release(self.session, close=self._close_session)


def acquire(
    engine: Engine, sessions: SessionRegistry, options: RequestOptions, readonly: bool,
    statement: str = "",
) -> Lease:
    """A connection for this request (blocking). `readonly` is the GET rule: reads and
    SET only, which a fresh connection enforces with readonly=2 whatever the client asked
    (readonly=1 is stricter and kept; readonly=0 is not the client's to choose, as on
    clickhouse-server). A session's connection cannot take readonly back, so there the
    caller's statement check is the rule and the client's readonly is dropped.
    `statement`: the request's first keyword, upper case as querytext gives it ("" when not
    known: it may change settings)."""
    settings = engine.engine_settings(options.settings)
    if readonly:
        asked = settings.pop("readonly", None)
        if options.session_id is None:
            settings["readonly"] = "1" if asked == "1" else "2"
    if options.session_id is None:
        return Lease(engine.connect(options.database, settings))

    session = sessions.acquire(options.session_id, options.session_timeout, options.session_check)
    lease = Lease(
        session.conn, session=session, registry=sessions, close_session=options.close_session
    )
    try:
        if options.database:
            # the parameter is this request's database, as on clickhouse-server: the
            # session's own (its USE statements) comes back afterwards
            current = eng.query(session.conn, "SELECT currentDatabase()", "TabSeparated").body
            lease.session_database = current.decode().rstrip("\n")
            eng.run_statement(session.conn, f"USE {eng.quote_identifier(options.database)}")
        # Around a SET the URL settings are left out: restoring them afterwards would undo what
        # the SET gave the session (clickhouse-server applies them to the query's own context).
        if settings and statement != "SET":
            if session.settings_changed:
                lease.snapshot = eng.snapshot_settings(session.conn, settings)
            else:
                lease.snapshot = {name: ("", False) for name in settings}  # at their defaults
            eng.apply_settings(session.conn, settings)
        if statement not in SETTINGS_KEPT_BY:
            session.settings_changed = True
    except BaseException:
        lease.release()
        raise
    return lease
