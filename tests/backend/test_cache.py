from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwatch.server.live.cache import SeriesCache
from runwatch.server.live.events import EVERYTHING, StreamEvent, StreamFilter, snapshot_frame
from runwatch.server.live.series import Points, SeriesKey
from tests.backend.helpers import ClientModel, parse_frame

RUNS = ["a", "b"]
METRICS = ["train/loss", "sys.cpu.util_percent"]

append_op = st.tuples(
    st.just("append"), st.sampled_from(RUNS), st.sampled_from(METRICS), st.integers(1, 40),
    st.booleans(), st.lists(st.sampled_from([0.5, -1.0, 3.0, math.nan, math.inf]), max_size=3))
op = st.one_of(
    append_op, append_op, append_op, append_op,
    st.tuples(st.just("commit")), st.tuples(st.just("commit")),
    st.tuples(st.just("remove"), st.sampled_from(RUNS)),
    st.tuples(st.just("runs"), st.lists(st.sampled_from(RUNS), unique=True)),
    st.tuples(st.just("check")),
)


class Session:
    def __init__(self, max_points: int, flt: StreamFilter = EVERYTHING) -> None:
        self.cache = SeriesCache(max_points, initial_version=100)
        self.flt = flt
        self.next_step: dict[tuple[str, str], int] = {}
        self.rng = np.random.default_rng(0)
        self.client = ClientModel()
        self.client.apply("snapshot", parse_frame(snapshot_frame(self.cache.snapshot(), flt)).data)
        self.client_version = self.cache.version

    def deliver(self, event: object) -> None:
        if event is None:
            return
        stream_event = StreamEvent.of(event)  # type: ignore[arg-type]
        frame = stream_event.frame_for(self.flt, self.client_version)
        if frame is not None:
            parsed = parse_frame(frame)
            self.client.apply(parsed.name, parsed.data)
            self.client_version = stream_event.version

    def run(self, ops: list[tuple[object, ...]]) -> None:
        for item in ops:
            kind = item[0]
            if kind == "append":
                _, run, metric, n, late, specials = item
                self.append(str(run), str(metric), int(n), bool(late), list(specials))  # type: ignore[arg-type]
            elif kind == "remove":
                self.cache.remove_runs([str(item[1])])
            elif kind == "runs":
                self.deliver(self.cache.set_runs([{"run_id": r} for r in item[1]]))  # type: ignore[union-attr]
            elif kind == "commit":
                self.deliver(self.cache.commit())
            else:
                self.deliver(self.cache.commit())
                self.check()
        self.deliver(self.cache.commit())
        self.check()

    def append(self, run: str, metric: str, n: int, late: bool, specials: list[float]) -> None:
        key = SeriesKey(run, metric, "h", 0, 65535)
        start = self.next_step.get((run, metric), 0)
        if late and start > 3:
            steps = np.sort(self.rng.choice(start, size=min(n, start), replace=False))
            times = steps * 1000 + 1  # a point of its own: same step, other event_time
        else:
            steps = np.arange(start, start + n)
            times = steps * 1000
            self.next_step[(run, metric)] = start + n
        values = self.rng.normal(size=len(steps))
        values[: len(specials)] = specials[: len(steps)]
        self.cache.append(key, "u", Points.of(steps, times, values))

    def check(self) -> None:
        fresh = ClientModel()
        snapshot = parse_frame(snapshot_frame(self.cache.snapshot(), self.flt))
        fresh.apply(snapshot.name, snapshot.data)
        client = self.client.comparable()
        # a filtered client's version is the last one it was sent, the data must be the same
        assert client[1:] == fresh.comparable()[1:]
        if self.flt.is_everything:
            assert client[0] == fresh.version


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=120), st.sampled_from([16, 24, 64]))
def test_snapshot_plus_deltas_equals_a_fresh_snapshot(ops: list[tuple[object, ...]],
                                                      max_points: int) -> None:
    Session(max_points).run(ops)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=80))
def test_filtered_client_sees_exactly_its_part_of_a_fresh_snapshot(ops: list[tuple[object, ...]]) -> None:
    Session(16, StreamFilter(frozenset({"a"}), "train/")).run(ops)


def test_a_long_randomized_session_with_re_decimations_stays_consistent() -> None:
    rng = np.random.default_rng(11)
    session = Session(32)
    ops: list[tuple[object, ...]] = []
    for _ in range(3000):
        roll = rng.random()
        if roll < 0.85:
            ops.append(("append", RUNS[rng.integers(2)], METRICS[rng.integers(2)],
                        int(rng.integers(1, 80)), bool(rng.random() < 0.1), [math.nan]
                        if rng.random() < 0.05 else []))
        elif roll < 0.88:
            ops.append(("remove", RUNS[rng.integers(2)]))
        elif roll < 0.9:
            ops.append(("runs", RUNS[: int(rng.integers(3))]))
        else:
            ops.append(("commit",))
    session.run(ops)
    assert session.cache.stats().points > 0


def test_commit_without_changes_keeps_the_version() -> None:
    cache = SeriesCache(16, initial_version=5)
    assert cache.commit() is None
    assert cache.set_runs([]) is None
    assert cache.version == 5


def test_each_commit_bumps_the_version_by_one_and_chains() -> None:
    cache = SeriesCache(16, initial_version=5)
    key = SeriesKey("r", "m", "", 0, 0)
    cache.append(key, "", Points.of([1], [1], [1.0]))
    first = cache.commit()
    meta = cache.set_runs([{"run_id": "r"}])
    cache.append(key, "", Points.of([2], [2], [2.0]))
    second = cache.commit()
    assert first is not None and meta is not None and second is not None
    assert (first.prev_version, first.version) == (5, 6)
    assert (meta.prev_version, meta.version) == (6, 7)
    assert (second.prev_version, second.version) == (7, 8)
    assert second.changes[0].replace is False and second.changes[0].points.step.tolist() == [2]


def test_staged_changes_are_invisible_until_commit() -> None:
    cache = SeriesCache(16)
    cache.append(SeriesKey("r", "m", "", 0, 0), "", Points.of([1], [1], [1.0]))
    assert cache.snapshot().series == ()
    cache.commit()
    assert len(cache.snapshot().series) == 1


def test_over_the_memory_budget_the_least_recently_updated_runs_go() -> None:
    cache = SeriesCache(2000, memory_budget_bytes=100_000)
    for run in ["old", "mid", "new"]:
        steps = np.arange(1500)
        cache.append(SeriesKey(run, "m", "", 0, 0), "", Points.of(steps, steps, steps * 1.0))
    removed = cache.evict_over_budget()
    assert removed and removed[0] == "old"
    assert "new" in cache.run_ids()
    assert cache.stats().nbytes <= 100_000
