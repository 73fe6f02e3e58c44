"""Process settings, built once at the edge (the CLI or a test) and passed down.

The variable names are the ones users already know from the reference design (CH_HOST,
CH_PORT, ..., POLL_INTERVAL_SEC). Values come from, in order: explicit keyword arguments,
the environment, a `.env` file in the working directory, the defaults below.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ClickHouseSettings(BaseSettings):
    """Where ClickHouse is. Shared by every runwatch process that talks to it."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    ch_host: str = Field(default="127.0.0.1", alias="CH_HOST")
    ch_port: int = Field(default=8123, alias="CH_PORT", ge=1, le=65535)
    ch_protocol: Literal["http", "https"] = Field(default="http", alias="CH_PROTOCOL")
    ch_database: str = Field(default="training_observability", alias="CH_DATABASE")
    ch_user: str = Field(default="default", alias="CH_USER")
    ch_password: str = Field(default="", alias="CH_PASSWORD")

    @field_validator("ch_database")
    @classmethod
    def _database_is_identifier(cls, value: str) -> str:
        # The name is spliced into DDL (CREATE DATABASE cannot take a bound parameter).
        if not _IDENTIFIER.match(value):
            raise ValueError(f"CH_DATABASE must match {_IDENTIFIER.pattern}, got {value!r}")
        return value


class Settings(ClickHouseSettings):
    """Settings of the dashboard server (`runwatch serve` / `runwatch up`)."""

    poll_interval_sec: float = Field(default=1.0, alias="POLL_INTERVAL_SEC", gt=0)
    server_host: str = Field(default="127.0.0.1", alias="RUNWATCH_HOST")
    server_port: int = Field(default=8000, alias="RUNWATCH_PORT", ge=0, le=65535)
    # Host-header names answered besides loopback ones (comma-separated, `*` = any; unset:
    # loopback names and RUNWATCH_HOST). DNS-rebinding protection: see server/hosts.py.
    allowed_hosts: str | None = Field(default=None, alias="RUNWATCH_ALLOWED_HOSTS")

    # --- dashboard server tunables (backend/runwatch/server/live/poller.py, cache.py, broadcaster.py, routes/) ---
    runs_poll_interval_sec: float = Field(default=30.0, alias="RUNWATCH_RUNS_POLL_INTERVAL_SEC", gt=0)
    poll_overlap_sec: float = Field(default=5.0, alias="RUNWATCH_POLL_OVERLAP_SEC", ge=0)
    poll_max_rows: int = Field(default=500_000, alias="RUNWATCH_POLL_MAX_ROWS", ge=1)
    poll_backoff_max_sec: float = Field(default=30.0, alias="RUNWATCH_POLL_BACKOFF_MAX_SEC", gt=0)
    active_window_sec: float = Field(default=300.0, alias="RUNWATCH_ACTIVE_WINDOW_SEC", gt=0)
    cache_horizon_runs: int = Field(default=200, alias="RUNWATCH_CACHE_HORIZON_RUNS", ge=1)
    cache_horizon_days: float = Field(default=7.0, alias="RUNWATCH_CACHE_HORIZON_DAYS", gt=0)
    max_points: int = Field(default=2000, alias="RUNWATCH_MAX_POINTS", ge=16, le=1_000_000)
    cache_memory_mb: float = Field(default=512.0, alias="RUNWATCH_CACHE_MEMORY_MB", gt=0)
    backfill_batch_runs: int = Field(default=10, alias="RUNWATCH_BACKFILL_BATCH_RUNS", ge=1)
    sse_ping_sec: float = Field(default=15.0, alias="RUNWATCH_SSE_PING_SEC", gt=0)
    sse_retry_ms: int = Field(default=3000, alias="RUNWATCH_SSE_RETRY_MS", ge=0)
    sse_send_timeout_sec: float = Field(default=30.0, alias="RUNWATCH_SSE_SEND_TIMEOUT_SEC", gt=0)
    sse_client_queue: int = Field(default=64, alias="RUNWATCH_SSE_CLIENT_QUEUE", ge=1)
    sse_client_queue_mb: float = Field(default=64.0, alias="RUNWATCH_SSE_CLIENT_QUEUE_MB", gt=0)
    sse_max_resyncs: int = Field(default=3, alias="RUNWATCH_SSE_MAX_RESYNCS", ge=0)
    sse_ring_size: int = Field(default=512, alias="RUNWATCH_SSE_RING_SIZE", ge=1)
    sse_ring_mb: float = Field(default=128.0, alias="RUNWATCH_SSE_RING_MB", gt=0)
    metrics_raw_max_rows: int = Field(default=300_000, alias="RUNWATCH_METRICS_RAW_MAX_ROWS", ge=1)
    smoothing_max_rows: int = Field(default=5_000_000, alias="RUNWATCH_SMOOTHING_MAX_ROWS", ge=1)
    tabs_file: Path | None = Field(default=None, alias="RUNWATCH_TABS_FILE")
    # --- run health and alerts (backend/runwatch/server/alerts/) ---
    crash_after_sec: float = Field(default=45.0, alias="RUNWATCH_CRASH_AFTER_SEC", gt=0)
    alerts_file: Path | None = Field(default=None, alias="RUNWATCH_ALERTS_FILE")
    alerts_enabled: bool = Field(default=True, alias="RUNWATCH_ALERTS")
    dashboard_url: str = Field(default="", alias="RUNWATCH_DASHBOARD_URL")
    frontend_dist: Path | None = Field(default=None, alias="RUNWATCH_FRONTEND_DIST")
    apply_schema: bool = Field(default=True, alias="RUNWATCH_APPLY_SCHEMA")
    # echoed by /health so `runwatch up` knows the process answering is the one it started
    instance_token: str | None = Field(default=None, alias="RUNWATCH_INSTANCE_TOKEN", max_length=128)

    # --- SQL console (backend/runwatch/server/console/, README "SQL in the dashboard") ---
    sql_console: bool = Field(default=True, alias="RUNWATCH_SQL_CONSOLE")
    sql_max_execution_sec: float = Field(default=30.0, alias="RUNWATCH_SQL_MAX_EXECUTION_SEC", gt=0)
    sql_max_result_rows: int = Field(default=100_000, alias="RUNWATCH_SQL_MAX_RESULT_ROWS", ge=1)
    sql_max_memory_mb: float = Field(default=2048.0, alias="RUNWATCH_SQL_MAX_MEMORY_MB", gt=0)
    # A read-only ClickHouse user for console queries; default: the CH_USER, with readonly=1.
    sql_user: str | None = Field(default=None, alias="RUNWATCH_SQL_USER")
    sql_password: str = Field(default="", alias="RUNWATCH_SQL_PASSWORD")

    # --- dashboard access (backend/runwatch/server/api/auth.py) ---
    auth_token: str | None = Field(default=None, alias="RUNWATCH_AUTH_TOKEN")
    users_file: Path | None = Field(default=None, alias="RUNWATCH_USERS_FILE")


S = TypeVar("S", bound=ClickHouseSettings)


class SettingsError(ValueError):
    """A setting from the environment, `.env` or the command line has a bad value."""


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build `cls` from overrides + environment + `.env`, with one readable line per bad value.

    Overrides equal to None are left out, so CLI options that were not given do not mask the
    environment.
    """
    from pydantic import ValidationError

    given: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
    try:
        return cls(**given)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            field = cls.model_fields.get(name)
            label = field.alias if field is not None and field.alias else name
            problems.append(f"{label}: {error['msg']} (got {error.get('input')!r})")
        raise SettingsError("; ".join(problems)) from None

