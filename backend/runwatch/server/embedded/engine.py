"""The chDB engine behind the HTTP interface: one data directory, many connections.

chDB hosts one engine per process, bound to one data path; any number of connections to
it coexist and run queries in parallel. The engine shuts down when its last connection
closes, so `Engine.open()` keeps an anchor connection for the server's life.

Each request without a session gets a fresh connection (~0.5 ms) whose settings are the
request's own, as every HTTP query on clickhouse-server gets a fresh query context.
Settings go into the connection string when their value is plain (chDB applies them like
SET for that connection only); other values are applied with a SET statement.

Every method here blocks: callers run them in worker threads.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chdb import state

from runwatch.server.embedded.errors import EngineError, from_engine_exception

log = logging.getLogger(__name__)

_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.:-]*$")  # survives the connection string as is
_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


@dataclass
class Stats:
    """What X-ClickHouse-Summary reports about one query. chDB reports no result row
    count, so result_rows stays 0; total_rows_to_read is the rows actually read."""

    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    elapsed_ns: int = 0

    def summary(self) -> dict[str, str]:
        # clickhouse-server sends every value as a string
        return {
            "read_rows": str(self.read_rows),
            "read_bytes": str(self.read_bytes),
            "written_rows": str(self.written_rows),
            "written_bytes": str(self.written_bytes),
            "total_rows_to_read": str(self.read_rows),
            "result_rows": str(self.result_rows),
            "result_bytes": str(self.result_bytes),
            "elapsed_ns": str(self.elapsed_ns),
        }



@dataclass
class QueryOutput:
    body: bytes
    stats: Stats = field(default_factory=Stats)


class Engine:
    """Owns the chDB engine for one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        # the only place file() may read and write (fileaccess.py), as user_files_path
        # on clickhouse-server
        self.user_files = self.data_dir / "user_files"
        self._anchor: Any = None
        self._lock = threading.Lock()
        self.timezone = "UTC"
        self.version = ""
        self.setting_names: frozenset[str] = frozenset()
        self._ignored_logged: set[str] = set()

    def open(self) -> None:
        with self._lock:
            if self._anchor is not None:
                return
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.user_files.mkdir(exist_ok=True)
            try:
                self._anchor = state.connect(str(self.data_dir))
                info = self._anchor.query("SELECT timezone(), version()", "TabSeparated")
                self.timezone, self.version = info.bytes().decode().rstrip("\n").split("\t")
                names = self._anchor.query("SELECT name FROM system.settings", "TabSeparated")
                self.setting_names = frozenset(names.bytes().decode().split())
            except Exception as exc:
                raise from_engine_exception(exc) from None

    def close(self) -> None:
        with self._lock:
            anchor, self._anchor = self._anchor, None
        if anchor is not None:
            anchor.close()

    def engine_settings(self, settings: Mapping[str, str]) -> dict[str, str]:
        """The settings the engine knows; the rest are logged once and ignored."""
        known: dict[str, str] = {}
        for name, value in settings.items():
            if name in self.setting_names:
                known[name] = value
            elif name not in self._ignored_logged:
                self._ignored_logged.add(name)
                log.warning("ignoring setting %r: the embedded engine does not know it", name)
        return known

    def connect(self, database: str | None = None, settings: Mapping[str, str] | None = None) -> Any:
        """A fresh connection with `settings` applied and `database` as current database."""
        if self._anchor is None:
            raise EngineError.named("UNKNOWN_EXCEPTION", "the embedded engine is not open")
        plain = {k: v for k, v in (settings or {}).items() if _PLAIN_VALUE.match(v)}
        other = {k: v for k, v in (settings or {}).items() if k not in plain}
        options = [f"{k}={v}" for k, v in plain.items()]
        use_database = database
        if database and _PLAIN_VALUE.match(database):
            options.append(f"database={database}")
            use_database = None
        target = str(self.data_dir) + ("?" + "&".join(options) if options else "")
        try:
            conn = state.connect(target)
        except Exception as exc:
            raise from_engine_exception(exc) from None
        try:
            if other:
                apply_settings(conn, other)
            if use_database:
                run_statement(conn, f"USE {quote_identifier(use_database)}")
        except BaseException:
            conn.close()
            raise
        return conn


def run_statement(conn: Any, sql: str) -> None:
    try:
        conn.query(sql, "TabSeparated")
    except Exception as exc:
        raise from_engine_exception(exc) from None


def apply_settings(conn: Any, settings: Mapping[str, str]) -> None:
    """One SET statement for all of them (each statement costs the engine a query)."""
    for name in settings:
        if not _SETTING_NAME.match(name):
            raise EngineError.named("UNKNOWN_SETTING", f"Unknown setting '{name}'")
    if settings:
        run_statement(conn, "SET " + ", ".join(f"{n} = {quote_literal(v)}" for n, v in settings.items()))


def snapshot_settings(conn: Any, names: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """Current (value, changed) of each setting, to restore after a request in a session."""
    wanted = [n for n in names if _SETTING_NAME.match(n)]
    if not wanted:
        return {}
    result = query(
        conn,
        "SELECT name, value, changed FROM system.settings WHERE name IN {names:Array(String)}",
        "JSONEachRow",
        {"names": "[" + ",".join(quote_literal(n) for n in wanted) + "]"},
    )
    snapshot: dict[str, tuple[str, bool]] = {}
    for line in result.body.splitlines():
        row = json.loads(line)
        snapshot[row["name"]] = (row["value"], bool(row["changed"]))
    return snapshot


def restore_settings(conn: Any, snapshot: Mapping[str, tuple[str, bool]]) -> None:
    """Each setting back to its value (or DEFAULT when it was not changed): in one SET
    statement, or one by one when that fails, so one that cannot be restored does not keep
    the others from it."""
    def assignment(name: str, value: str, changed: bool) -> str:
        return f"{name} = {quote_literal(value)}" if changed else f"{name} = DEFAULT"

    if not snapshot:
        return
    try:
        run_statement(conn, "SET " + ", ".join(assignment(n, *v) for n, v in snapshot.items()))
        return
    except EngineError:
        pass
    for name, (value, changed) in snapshot.items():
        try:
            run_statement(conn, "SET " + assignment(name, value, changed))
        except EngineError as exc:
            log.warning("could not restore setting %s in a session: %s", name, exc.message)


def engine_text(sql: str) -> str | bytes:
    """`sql` as the engine takes it: a text holding bytes that are not UTF-8 (kept as
    surrogates, see handler._text) goes as bytes, which chDB takes as they are."""
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        return sql.encode("utf-8", "surrogateescape")
    return sql


def query(conn: Any, sql: str, fmt: str, params: Mapping[str, str] | None = None) -> QueryOutput:
    """Run one statement; a FORMAT clause in `sql` overrides `fmt`."""
    try:
        result = conn.query(engine_text(sql), fmt, params=dict(params or {}))
    except Exception as exc:
        raise from_engine_exception(exc) from None
    body = result.bytes() if hasattr(result, "bytes") else bytes(result or b"")
    stats = Stats(
        read_rows=int(result.rows_read()),
        read_bytes=int(result.bytes_read()),
        written_rows=int(result.rows_written()),
        written_bytes=int(result.bytes_written()),
        result_bytes=len(body),
        elapsed_ns=int(result.elapsed() * 1e9),
    )
    return QueryOutput(body, stats)


class Insert:
    """A streaming INSERT on one connection: `append` chunks, then `finish` or `cancel`."""

    def __init__(self, conn: Any, head: str, fmt: str) -> None:
        try:
            self._inserter = conn.send_insert(head, fmt)
        except Exception as exc:
            raise from_engine_exception(exc) from None

    def append(self, chunk: bytes) -> None:
        try:
            self._inserter.append(chunk)
        except Exception as exc:
            self.cancel()
            raise from_engine_exception(exc) from None

    def finish(self) -> Stats:
        try:
            result = self._inserter.finish()
        except Exception as exc:
            raise from_engine_exception(exc) from None
        return Stats(
            written_rows=int(result.rows_written),
            written_bytes=int(result.bytes_written),
            elapsed_ns=int(result.elapsed * 1e9),
        )

    def cancel(self) -> None:
        try:
            self._inserter.cancel()
        except Exception as exc:  # the engine may already have aborted it
            log.debug("cancelling an insert: %s", exc)


class Stream:
    """A query's result block by block as the engine produces it (chDB's streaming API).

    `next()` blocks until the next block and returns None at the end. `cancel()` may be
    called from any thread, also while `next()` waits: chDB's own streaming cancel waits
    for the query to finish when no fetch is under way, so the query text carries a marker
    comment and cancel runs the engine's `KILL QUERY ... ASYNC` on it through `kill`
    (another connection); the pending fetch then fails with QUERY_WAS_CANCELLED. `close()`
    (no fetch under way) cancels a query still running and drains it, so the connection
    is usable again. Statements the streaming API refuses raise StreamingRefused."""

    def __init__(
        self, conn: Any, sql: str, fmt: str, params: Mapping[str, str] | None,
        kill: Callable[[str], None], marker: str, track_progress: bool = False,
    ) -> None:
        self._conn = conn._conn  # the pybind connection: its fetch hands back raw blocks
        self._kill = kill
        self._lock = threading.Lock()
        self._done = False
        self._cancelled = False
        self.marker = marker  # unique to this run, at the very start of the text (rewrite.py)
        self.stats = Stats()
        # the engine's progress counters while the query runs (read from another thread)
        self.progress: dict[str, int] | None = None
        self._tracking = track_progress
        if track_progress:
            self._conn.set_progress_callback(self._on_progress)
        try:
            self._result = self._conn.send_query(engine_text(self.marker + " " + sql), fmt, params=dict(params or {}))
        except Exception as exc:
            self._untrack()
            error = from_engine_exception(exc)
            if error.code == 36 and "Streaming query is not supported" in error.message:
                raise StreamingRefused(error.message) from None
            raise error from None

    def _on_progress(self, values: dict[str, int]) -> None:
        self.progress = dict(values)  # one reference swap: a reader sees one whole snapshot

    def _untrack(self) -> None:
        if self._tracking:
            self._tracking = False
            self._conn.set_progress_callback(None)  # a session's connection outlives the stream

    def next(self) -> bytes | None:
        if self._cancelled:
            raise EngineError.named("QUERY_WAS_CANCELLED", "Query was cancelled")
        return self._fetch()

    def _fetch(self) -> bytes | None:
        if self._done:
            return None
        try:
            block = self._conn.streaming_fetch_result(self._result)
        except Exception as exc:
            self._done = True
            raise from_engine_exception(exc) from None
        data = block.bytes() if block is not None else b""
        if block is not None:
            self.stats.read_rows = int(block.rows_read())
            self.stats.read_bytes = int(block.bytes_read())
        if not data:
            self._done = True
            self._untrack()
            return None
        self.stats.result_bytes += len(data)
        return bytes(data)

    def cancel(self) -> None:
        with self._lock:
            if self._done or self._cancelled:
                return
            self._cancelled = True
        try:
            self._kill(self.marker)
        except EngineError as exc:  # it may have ended meanwhile
            log.debug("cancelling a streamed query: %s", exc.message)

    def close(self) -> None:
        """Stop the query if it still runs and drain it (no fetch may be under way). A query
        killed right after it was sent may not be in the engine's process list yet, so
        the kill is repeated after each block until the engine reports the cancellation."""
        with self._lock:
            self._cancelled = True
        self._untrack()
        while not self._done:
            try:
                self._kill(self.marker)
            except EngineError as exc:
                log.debug("cancelling a streamed query: %s", exc.message)
            try:
                self._fetch()
            except EngineError:
                self._done = True  # QUERY_WAS_CANCELLED: what the kill was for


def kill_marked(engine: Engine, marker: str) -> None:
    """KILL QUERY the running query whose text starts with `marker` (Stream.cancel)."""
    conn = engine.connect()
    try:
        run_statement(conn, f"KILL QUERY WHERE startsWith(query, {quote_literal(marker)}) ASYNC")
    finally:
        conn.close()


class StreamingRefused(Exception):
    """The engine streams SELECTs only; the caller runs the statement buffered instead."""
