"""One way to open a ClickHouse client from settings.

clickhouse-connect's sync client carries a session id by default, and the server refuses two
concurrent queries in one session; runwatch never needs server-side session state, so sessions
are off and each thread or task may own its own client without tripping over another's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runwatch.server.settings import ClickHouseSettings


def make_client(settings: ClickHouseSettings, *, database: str | None = None, **kwargs: Any) -> Any:
    """A clickhouse_connect client for `settings` (database: settings.ch_database by default)."""
    import clickhouse_connect

    return clickhouse_connect.get_client(
        host=settings.ch_host,
        port=settings.ch_port,
        interface=settings.ch_protocol,
        username=settings.ch_user,
        password=settings.ch_password,
        database=database if database is not None else settings.ch_database,
        autogenerate_session_id=False,
        **kwargs,
    )


def describe(settings: ClickHouseSettings) -> str:
    return f"{settings.ch_protocol}://{settings.ch_host}:{settings.ch_port}/{settings.ch_database}"
