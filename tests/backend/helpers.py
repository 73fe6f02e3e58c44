"""Shared helpers of the backend tests: a real uvicorn server in a thread, an SSE reader,
row factories for metric_points/runs, and the client-side model of the stream contract."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from runwatch.server.api.app import create_app
from runwatch.server.settings import Settings
from tests.support.clickhouse import EmbeddedClickHouse, free_port
from tests.support.waiting import wait_for

POINT_COLUMNS = ["run_id", "metric", "host", "rank", "device", "step", "value", "unit",
                 "event_time", "tags_json"]


def settings_for(server: EmbeddedClickHouse, database: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ch_host": server.host, "ch_port": server.port, "ch_database": database,
        "poll_interval_sec": 0.2, "runs_poll_interval_sec": 2.0, "poll_backoff_max_sec": 1.0,
        "sse_ping_sec": 1.0, "server_port": 0,
    }
    values.update(overrides)
    return Settings(**values)


def insert_points(client: Any, rows: Sequence[dict[str, Any]]) -> None:
    """rows: dicts with run_id, metric, step, value and optionally host, rank, device, unit,
    event_time (datetime, UTC), tags_json, ingested_at (datetime, UTC; default: the server's
    clock)."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    columns = POINT_COLUMNS + (["ingested_at"] if "ingested_at" in rows[0] else [])
    data = [[
        r["run_id"], r["metric"], r.get("host", ""), r.get("rank", 0), r.get("device", 65535),
        r["step"], float(r["value"]), r.get("unit", ""), r.get("event_time", now),
        r.get("tags_json", ""), *([r["ingested_at"]] if "ingested_at" in r else []),
    ] for r in rows]
    client.insert("metric_points", data, column_names=columns)


def utc_ago(seconds: float) -> Any:
    import datetime as dt

    return (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)).replace(tzinfo=None)


def insert_run(client: Any, run_id: str, **fields: Any) -> None:
    columns = ["run_id", *fields]
    client.insert("runs", [[run_id, *fields.values()]], column_names=columns)


class LiveServer:
    """create_app(settings) served by uvicorn in a thread on a free port."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.settings = settings
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="test-uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)

    def wait_backfilled(self, timeout: float = 20) -> None:
        wait_for(lambda: self.runtime.poller.status().backfilled, timeout, "initial backfill")

    def settle(self) -> int:
        """Poll until what is in ClickHouse is in the cache and published; the version."""
        runtime = self.runtime
        for _ in range(2):
            assert runtime.poller.flush(20), runtime.poller.status().last_error
        wait_for(lambda: runtime.broadcaster.latest_version == runtime.cache.version, 5,
                 "publication")
        return int(runtime.cache.version)


@dataclass
class Event:
    name: str
    id: str | None
    data: dict[str, Any]
    received: float  # time.monotonic()
    retry: int | None = None


class SSEReader:
    """Reads GET /stream in a thread; events land in `events` (a queue) as they arrive."""

    def __init__(self, url: str, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.url, self.params, self.headers = url, params or {}, headers or {}
        self.events: queue.Queue[Event] = queue.Queue()
        self.pings = 0
        self.response_headers: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-sse", daemon=True)
        self.closed = threading.Event()
        self.error: BaseException | None = None

    def __enter__(self) -> SSEReader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(30, read=60)) as client, client.stream(
                    "GET", self.url + "/stream", params=self.params, headers=self.headers) as resp:
                self.response_headers = dict(resp.headers)
                fields: dict[str, str] = {}
                data: list[str] = []
                for line in resp.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.pings += 1
                        continue
                    if line == "":
                        if fields.get("event") == "ping":
                            self.pings += 1
                        elif data:
                            self.events.put(Event(
                                fields.get("event", "message"), fields.get("id"),
                                json.loads("\n".join(data)), time.monotonic(),
                                int(fields["retry"]) if "retry" in fields else None))
                        fields, data = {}, []
                        continue
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "data":
                        data.append(value)
                    else:
                        fields[name] = value
        except BaseException as exc:  # surfaced by tests that care
            if not self._stop.is_set():
                self.error = exc
        finally:
            self.closed.set()

    def next(self, timeout: float = 10, name: str | None = None) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name or 'event'} within {timeout}s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if name is None or event.name == name:
                return event

    def drain(self) -> list[Event]:
        out = []
        with contextlib.suppress(queue.Empty):
            while True:
                out.append(self.events.get_nowait())
        return out


@dataclass
class ClientModel:
    """What a browser holds after applying stream events (the contract in ARCHITECTURE.md)."""

    version: int | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    series: dict[tuple[Any, ...], dict[str, list[Any]]] = field(default_factory=dict)

    @staticmethod
    def key(s: dict[str, Any]) -> tuple[Any, ...]:
        return (s["run_id"], s["metric"], s["host"], s["rank"], s["device"])

    def apply(self, name: str, data: dict[str, Any]) -> None:
        if name == "snapshot":
            self.version, self.runs = data["version"], data["runs"]
            self.series = {}
            for s in data["series"]:
                self._put(s)
        elif name == "delta":
            assert data["prev_version"] == self.version, (data["prev_version"], self.version)
            self.version = data["version"]
            for s in data["series"]:
                if s["replace"]:
                    self._put(s)
                else:
                    cur = self.series.setdefault(self.key(s), {"unit": s["unit"], "step": [],
                                                               "time": [], "value": []})
                    for column in ("step", "time", "value"):
                        cur[column] = cur[column] + s[column]
                    cur["unit"] = s["unit"]
        elif name == "runs_meta":
            self.version, self.runs = data["version"], data["runs"]

    def _put(self, s: dict[str, Any]) -> None:
        if not s["step"]:
            self.series.pop(self.key(s), None)  # replace with nothing: dropped
        else:
            self.series[self.key(s)] = {"unit": s["unit"], "step": list(s["step"]),
                                        "time": list(s["time"]), "value": list(s["value"])}

    def comparable(self) -> tuple[Any, ...]:
        return (self.version, json.dumps(self.runs, sort_keys=True),
                json.dumps(sorted(self.series.items(), key=lambda kv: repr(kv[0])), sort_keys=True))


def iter_values(events: Sequence[Event]) -> Iterator[Any]:
    for event in events:
        for s in event.data.get("series", []):
            yield from s["value"]


def parse_frame(frame: bytes) -> Event:
    """One encoded SSE frame (as the server writes it) back into an Event."""
    fields: dict[str, str] = {}
    data = []
    for line in frame.decode().split("\n"):
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        if name == "data":
            data.append(value)
        else:
            fields[name] = value
    return Event(fields.get("event", "message"), fields.get("id"), json.loads("\n".join(data)),
                 time.monotonic(), int(fields["retry"]) if "retry" in fields else None)
