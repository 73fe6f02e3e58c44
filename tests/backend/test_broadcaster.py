from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from runwatch.server.live.broadcaster import Broadcaster, Resync
from runwatch.server.live.cache import RunsMeta
from runwatch.server.live.events import StreamEvent


def event(version: int, size: int = 10) -> StreamEvent:
    meta = RunsMeta(version, version - 1, ())
    return StreamEvent("runs_meta", version, version - 1, b"x" * size, meta)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_every_subscriber_gets_every_event_in_order() -> None:
    async def main() -> None:
        b = Broadcaster(start_version=0)
        subs = [b.subscribe() for _ in range(3)]
        for v in (1, 2, 3):
            b.publish(event(v))
        for sub in subs:
            got = [await sub.next() for _ in range(3)]
            assert [e.version for e in got] == [1, 2, 3]  # type: ignore[union-attr]

    run(main())


def test_replay_since_returns_exactly_the_missed_events() -> None:
    b = Broadcaster(start_version=0, ring_size=10)
    for v in range(1, 8):
        b.publish(event(v))
    assert [e.version for e in b.replay_since(4) or []] == [5, 6, 7]
    assert b.replay_since(7) == []


def test_replay_since_a_version_the_ring_lost_is_none() -> None:
    b = Broadcaster(start_version=0, ring_size=3)
    for v in range(1, 8):
        b.publish(event(v))
    assert b.replay_since(2) is None  # oldest kept event is 5 (prev 4)
    assert [e.version for e in b.replay_since(4) or []] == [5, 6, 7]
    assert b.replay_since(99) is None  # a version from another server process


def test_the_ring_is_bounded_in_bytes_too() -> None:
    b = Broadcaster(start_version=0, ring_size=100, ring_bytes=250)
    for v in range(1, 11):
        b.publish(event(v, size=100))
    assert b.stats().ring_bytes <= 250 and b.stats().ring_events == 2


def test_a_slow_subscriber_is_told_to_resync_and_holds_bounded_memory() -> None:
    async def main() -> None:
        b = Broadcaster(start_version=0, client_queue=4)
        slow, fast = b.subscribe(), b.subscribe()
        for v in range(1, 101):
            b.publish(event(v))
            got = await fast.next()
            assert got.version == v  # type: ignore[union-attr]
            assert slow.queued <= 4
        assert isinstance(await slow.next(), Resync)
        assert slow.resyncs >= 1 and b.stats().resyncs >= 1

    run(main())


def test_a_queue_over_its_byte_budget_resyncs() -> None:
    async def main() -> None:
        b = Broadcaster(start_version=0, client_queue=100, client_queue_bytes=1000)
        sub = b.subscribe()
        for v in range(1, 4):
            b.publish(event(v, size=400))
        assert isinstance(await sub.next(), Resync)

    run(main())


def test_close_wakes_every_waiting_subscriber() -> None:
    async def main() -> None:
        b = Broadcaster(start_version=0)
        subs = [b.subscribe() for _ in range(5)]
        waiting = [asyncio.create_task(sub.next()) for sub in subs]
        await asyncio.sleep(0.01)
        b.close()
        assert await asyncio.gather(*waiting) == [None] * 5
        assert b.stats().clients == 0
        late = b.subscribe()
        assert await late.next() is None

    run(main())


def test_publish_threadsafe_reaches_subscribers_on_the_loop() -> None:
    async def main() -> None:
        b = Broadcaster(start_version=0)
        b.bind(asyncio.get_running_loop())
        sub = b.subscribe()
        await asyncio.to_thread(b.publish_threadsafe, event(1))
        got = await sub.next()
        assert got.version == 1  # type: ignore[union-attr]

    run(main())


def test_unsubscribe_stops_delivery() -> None:
    b = Broadcaster(start_version=0)
    sub = b.subscribe()
    b.unsubscribe(sub)
    b.publish(event(1))
    assert sub.queued == 0 and b.stats().clients == 0
