from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runwatch.write.batch import Batch
from runwatch.write.spool import Spool
from runwatch.write.writer import Writer
from tests.agent.helpers import RecordingTransport, wait_until


class Source:
    """Batches handed to the writer as if drained from the buffer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: list[Batch] = []
        self.made = 0

    def add(self, points: int = 10) -> Batch:
        with self.lock:
            self.made += 1
            made = Batch("metric_points", ("v",), b"%d" % self.made, points, "db",
                         token=f"b{self.made:04d}")
            self.queue.append(made)
            return made

    def __call__(self) -> list[Batch]:
        with self.lock:
            out, self.queue = self.queue, []
            return out


class BacklogSource(Source):
    """A source that, like the point buffer, hands over one batch per call and keeps the rest."""

    def __call__(self) -> list[Batch]:
        with self.lock:
            return [self.queue.pop(0)] if self.queue else []

    def has_backlog(self) -> bool:
        with self.lock:
            return bool(self.queue)

    def flush_mark(self) -> int:
        return self.made

    def taken_mark(self) -> int:
        with self.lock:
            return self.made - len(self.queue)


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def source() -> Source:
    return Source()


def make_writer(source: Source, transport: RecordingTransport, spool: Spool | None,
                spool_after: float = 0.2) -> Writer:
    return Writer(source, lambda: transport, spool=spool, flush_interval=0.05,
                  spool_after=spool_after, retry_initial=0.01, retry_max=0.05)


@pytest.fixture
def writer(source: Source, transport: RecordingTransport, tmp_path: Path) -> Iterator[Writer]:
    made = make_writer(source, transport, Spool(tmp_path / "spool", max_bytes=1 << 20))
    made.start()
    yield made
    made.stop(5)


def test_flush_when_clickhouse_up_then_returns_after_batches_stored(
    writer: Writer, source: Source, transport: RecordingTransport
) -> None:
    for _ in range(3):
        source.add()
    assert writer.flush(5)
    assert transport.order == ["b0001", "b0002", "b0003"]
    assert writer.stats.stored_points == 30


def test_flush_when_nothing_logged_then_true_at_once(writer: Writer) -> None:
    assert writer.flush(2)


def test_flush_when_clickhouse_down_then_true_once_spooled(
    writer: Writer, source: Source, transport: RecordingTransport
) -> None:
    transport.down = True
    source.add()
    assert writer.flush(5)
    assert writer.stats.spooled_points == 10
    assert writer.spool is not None and len(writer.spool) == 1


def test_outage_when_clickhouse_returns_then_each_batch_stored_once_in_order(
    writer: Writer, source: Source, transport: RecordingTransport
) -> None:
    transport.down = True
    for _ in range(5):
        source.add()
        writer.wake()
    assert wait_until(lambda: writer.stats.spooled_points == 50, 5)
    assert len(transport.attempts) >= 2  # retried before spooling
    transport.down = False
    for _ in range(3):
        source.add()
    assert writer.flush(5)
    assert wait_until(lambda: transport.points() == 80, 5)
    assert transport.order == [f"b{i:04d}" for i in range(1, 9)]
    assert writer.spool is not None and len(writer.spool) == 0


def test_retry_when_answer_lost_then_same_token_resent(
    source: Source, transport: RecordingTransport, tmp_path: Path
) -> None:
    class LosesFirstAnswer(RecordingTransport):
        def insert(self, batch: Batch) -> None:
            super().insert(batch)  # stored...
            if len(self.attempts) == 1:
                raise ConnectionResetError("...but the answer was lost")

    flaky = LosesFirstAnswer()
    writer = Writer(source, lambda: flaky, spool=None, flush_interval=0.05, retry_initial=0.01)
    writer.start()
    source.add()
    assert wait_until(lambda: len(flaky.attempts) == 2, 5)
    assert writer.flush(5)
    writer.stop(5)
    assert flaky.attempts == ["b0001", "b0001"]
    assert flaky.points() == 10


def test_stop_when_clickhouse_down_then_pending_spooled_quickly(
    source: Source, transport: RecordingTransport, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", max_bytes=1 << 20)
    writer = make_writer(source, transport, spool, spool_after=60.0)
    writer.start()
    transport.down = True
    source.add()
    source.add()
    assert writer.stop(2.0)
    assert spool.points == 20
    again = Spool(tmp_path / "spool", max_bytes=1 << 20).open()
    assert len(again) == 2
    again.close()


def test_outage_when_no_spool_then_pending_bounded_and_oldest_dropped(
    source: Source, transport: RecordingTransport
) -> None:
    writer = Writer(source, lambda: transport, spool=None, flush_interval=0.02,
                    spool_after=60.0, retry_initial=0.01, retry_max=0.02, max_pending_bytes=3)
    writer.start()
    transport.down = True
    for _ in range(6):
        source.add()
        writer.wake()
    assert wait_until(lambda: writer.stats.dropped_points >= 30, 5)
    assert writer.pending_points() <= 30
    transport.down = False
    assert writer.flush(5)
    writer.stop(5)
    assert transport.points() + writer.stats.dropped_points == 60


def test_submit_when_run_row_queued_then_delivered_before_flush_returns(
    writer: Writer, transport: RecordingTransport
) -> None:
    writer.submit(Batch("runs", ("run_id",), b"r", 0, "db", token="row"))
    assert writer.flush(5)
    assert transport.order == ["row"]


def test_flush_when_thread_not_running_then_false(source: Source, transport: RecordingTransport) -> None:
    writer = make_writer(source, transport, None)
    assert writer.flush(0.1) is False


def test_stop_when_insert_hangs_past_deadline_then_everything_spooled_by_stop(
    source: Source, tmp_path: Path
) -> None:
    release = threading.Event()

    class Hangs(RecordingTransport):
        def insert(self, batch: Batch) -> None:
            super().insert(batch)
            release.wait(30)  # a server that accepted the request and never answers

    hanging = Hangs()
    spool = Spool(tmp_path / "spool", max_bytes=1 << 20)
    writer = Writer(source, lambda: hanging, spool=spool, flush_interval=0.02)
    writer.start()
    source.add()
    assert wait_until(lambda: len(hanging.attempts) == 1, 5)
    source.add()
    assert writer.stop(0.3) is False
    release.set()
    again = Spool(tmp_path / "spool", max_bytes=1 << 20).open()
    tokens = []
    while (item := again.oldest()) is not None:
        tokens.append(item.token)
        again.pop()
    again.close()
    assert tokens == ["b0001", "b0002"]  # the stuck one too: its token makes a replay harmless
    assert writer.stats.spooled_points == 20


def test_flush_when_source_keeps_a_backlog_then_writer_comes_straight_back_and_flush_covers_it(
    transport: RecordingTransport,
) -> None:
    source = BacklogSource()
    # a flush interval far longer than the test: only coming straight back delivers in time
    writer = Writer(source, lambda: transport, spool=None, flush_interval=30.0, backlog=source)
    writer.start()
    try:
        made = [source.add() for _ in range(5)]
        assert writer.flush(timeout=5.0)
        assert transport.order == [b.token for b in made]
    finally:
        writer.stop(5)


def test_flush_when_backlog_not_yet_taken_then_not_reported_done(transport: RecordingTransport) -> None:
    source = BacklogSource()
    transport.down = True  # nothing is stored, so the flush can only end by timing out
    writer = Writer(source, lambda: transport, spool=None, flush_interval=0.02, spool_after=60.0,
                    retry_initial=0.01, retry_max=0.02, backlog=source)
    writer.start()
    try:
        for _ in range(3):
            source.add()
        assert not writer.flush(timeout=0.3)
        assert source.has_backlog()  # one batch in hand (pending): the rest stays in the source
    finally:
        transport.down = False
        assert writer.stop(5)
    assert transport.points() == 30  # stop() drains the backlog as well


def test_stop_when_source_keeps_a_backlog_then_everything_delivered(transport: RecordingTransport) -> None:
    source = BacklogSource()
    writer = Writer(source, lambda: transport, spool=None, flush_interval=30.0, backlog=source)
    for _ in range(4):
        source.add()
    writer.start()
    assert writer.stop(5)
    assert transport.points() == 40 and not source.has_backlog()
