"""backend/runwatch/server/embedded/sessions.py: session locking and expiry, on a fake connection and clock."""

from __future__ import annotations

import pytest

from runwatch.server.embedded.errors import EngineError
from runwatch.server.embedded.sessions import SessionRegistry


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(clock: FakeClock) -> SessionRegistry:
    return SessionRegistry(FakeConnection, clock=clock)


def test_acquire_when_same_id_twice_sequentially_then_same_connection(registry: SessionRegistry) -> None:
    first = registry.acquire("s", None)
    registry.release(first)
    second = registry.acquire("s", None)
    assert second.conn is first.conn


def test_acquire_when_session_busy_then_session_is_locked(registry: SessionRegistry) -> None:
    registry.acquire("s", None)
    with pytest.raises(EngineError) as info:
        registry.acquire("s", None)
    assert info.value.code == 373


def test_acquire_when_check_and_session_unknown_then_session_not_found(registry: SessionRegistry) -> None:
    with pytest.raises(EngineError) as info:
        registry.acquire("nope", None, check=True)
    assert info.value.code == 372


def test_reap_when_idle_past_timeout_then_closed_and_forgotten(
    registry: SessionRegistry, clock: FakeClock
) -> None:
    session = registry.acquire("s", 10)
    registry.release(session)
    clock.now += 9.9
    assert registry.reap() == 0
    clock.now += 0.2
    assert registry.reap() == 1
    assert session.conn.closed
    assert registry.acquire("s", 10).conn is not session.conn


def test_reap_when_busy_past_timeout_then_kept(registry: SessionRegistry, clock: FakeClock) -> None:
    session = registry.acquire("s", 1)
    clock.now += 100
    assert registry.reap() == 0
    assert not session.conn.closed


def test_release_when_close_requested_then_connection_closed(registry: SessionRegistry) -> None:
    session = registry.acquire("s", None)
    registry.release(session, close=True)
    assert session.conn.closed
    assert len(registry) == 0


def test_stop_when_sessions_open_then_all_closed(registry: SessionRegistry) -> None:
    registry.start()
    sessions = [registry.acquire(name, None) for name in ("a", "b")]
    registry.release(sessions[0])
    registry.stop()
    assert all(s.conn.closed for s in sessions)
