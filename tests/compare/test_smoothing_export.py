"""Smoothing on /metrics at full resolution, any metric as x, and raw exports — against the
embedded ClickHouse."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from runwatch.server.migrate import apply_schema
from tests.backend.helpers import LiveServer, insert_points, insert_run, settings_for
from tests.support.clickhouse import EmbeddedClickHouse

N = 200_000
SPIKE, HOLE = 120_000, 50_000


@pytest.fixture(scope="module")
def noisy() -> np.ndarray:
    rng = np.random.default_rng(3)
    y = 2.0 * np.exp(-np.arange(N) / 60_000) + 0.5 + rng.normal(0, 0.2, N)
    y[SPIKE] = 40.0
    y[HOLE] = math.nan
    return y


@pytest.fixture(scope="module")
def live(clickhouse_server: EmbeddedClickHouse, noisy: np.ndarray) -> Iterator[LiveServer]:
    database = f"test_smooth_{uuid.uuid4().hex[:8]}"
    admin = clickhouse_server.client()
    apply_schema(admin, database)
    db = clickhouse_server.client(database=database)
    insert_run(db, "noisy", project="p", name="noisy")
    db.insert("metric_points", [["noisy", "train/loss", int(s), float(v)] for s, v in enumerate(noisy)],
              column_names=["run_id", "metric", "step", "value"])
    insert_points(db, [dict(run_id="noisy", metric="tokens", step=s, value=s * 512.0)
                       for s in range(0, N, 1000)])
    # 1 M points with NaN and ±Inf, made inside ClickHouse
    db.command("""
        INSERT INTO metric_points (run_id, metric, host, rank, step, value, event_time)
        SELECT 'big', if(number % 2 = 0, 'a', 'b'), 'h1', toUInt32(number % 3), number,
               multiIf(number % 99991 = 5, nan, number % 99991 = 6, inf, number % 99991 = 7, -inf,
                       sin(number) * exp(number % 37) / 3.0),
               toDateTime64('2026-01-01 00:00:00', 3) + toIntervalMillisecond(number)
        FROM numbers(1000000)""")
    settings = settings_for(clickhouse_server, database)
    try:
        with LiveServer(settings) as server:
            yield server
    finally:
        admin.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        admin.close()
        db.close()


def decode(values: list[Any]) -> np.ndarray:
    return np.array([float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))
                     for v in values])


def ema_reference(y: np.ndarray, w: float) -> np.ndarray:
    out = np.empty_like(y)
    last, k, prev = 0.0, 0, math.nan
    for i, v in enumerate(y.tolist()):
        if math.isfinite(v):
            last = last * w + (1 - w) * v
            k += 1
            prev = last / (1 - w ** k)
        out[i] = prev
    return out


def finite_view(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The finite points and, for each raw index, the finite index that carries it."""
    idx = np.flatnonzero(np.isfinite(y))
    pos = np.searchsorted(idx, np.arange(y.size), side="right") - 1
    return y[idx], np.maximum(pos, 0)


def sma_reference(y: np.ndarray, window: int, at: np.ndarray) -> np.ndarray:
    f, pos = finite_view(y)
    left, right = (window - 1) // 2, window // 2
    return np.array([f[max(p - left, 0): p + right + 1].mean() for p in pos[at]])


def gaussian_reference(y: np.ndarray, sigma: float, at: np.ndarray) -> np.ndarray:
    f, pos = finite_view(y)
    r = int(4 * sigma + 0.5)
    x = np.arange(-r, r + 1)
    k = np.exp(-0.5 * x**2 / sigma**2)
    k /= k.sum()
    return np.array([(f[np.clip(p + x, 0, f.size - 1)] * k).sum() for p in pos[at]])


def savgol_reference(y: np.ndarray, window: int, order: int, at: np.ndarray) -> np.ndarray:
    """A least-squares polynomial over each point's own window (the edges: the first/last)."""
    f, pos = finite_view(y)
    half = window // 2
    out = []
    for p in pos[at]:
        lo = min(max(p - half, 0), f.size - window)
        xs = np.arange(lo, lo + window) - p
        coef = np.polynomial.polynomial.polyfit(xs, f[lo: lo + window], order)
        out.append(coef[0])
    return np.array(out)


def smoothed(live: LiveServer, **params: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    response = live.get("/metrics/noisy", metric="train/loss", max_points=2000, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["smoothed"] is True
    (series,) = body["series"]
    return (np.array(series["step"]), decode(series["value"]), decode(series["smoothed"]), body)


@pytest.mark.parametrize(
    ("params", "reference"),
    [
        ({"smoothing": "ema", "weight": 0.99}, lambda y, at: ema_reference(y, 0.99)[at]),
        ({"smoothing": "ema", "weight": 0.6}, lambda y, at: ema_reference(y, 0.6)[at]),
        ({"smoothing": "sma", "window": 501}, lambda y, at: sma_reference(y, 501, at)),
        ({"smoothing": "gaussian", "sigma": 40}, lambda y, at: gaussian_reference(y, 40, at)),
        ({"smoothing": "savgol", "window": 301, "order": 3}, lambda y, at: savgol_reference(y, 301, 3, at)),
    ],
    ids=["ema-0.99", "ema-0.6", "sma", "gaussian", "savgol"],
)
def test_smoothing_equals_the_filter_over_every_raw_point(live: LiveServer, noisy: np.ndarray,
                                                          params: dict[str, Any], reference: Any) -> None:
    step, value, smooth, _ = smoothed(live, **params)
    assert 1000 < step.size <= 2000
    np.testing.assert_array_equal(value[np.isfinite(value)], noisy[step][np.isfinite(value)])
    assert SPIKE in step and HOLE in step  # decimation keeps the spike and the NaN as markers
    assert math.isnan(value[step == HOLE][0]) and np.isfinite(smooth).all()
    np.testing.assert_allclose(smooth, reference(noisy, step), rtol=1e-9)


def test_smoothing_the_decimated_points_as_the_browser_did_differs(live: LiveServer,
                                                                  noisy: np.ndarray) -> None:
    step, value, smooth, _ = smoothed(live, smoothing="ema", weight=0.99)
    browser = ema_reference(value, 0.99)  # the old client-side EMA over what it was sent
    assert np.max(np.abs(browser - smooth) / np.abs(smooth)) > 0.05
    np.testing.assert_allclose(smooth, ema_reference(noisy, 0.99)[step], rtol=1e-9)


def test_smoothing_of_a_zoomed_window_uses_that_windows_raw_points(live: LiveServer,
                                                                  noisy: np.ndarray) -> None:
    step, _, smooth, _ = smoothed(live, smoothing="sma", window=11, from_step=1000, to_step=1999)
    assert step.tolist() == list(range(1000, 2000))
    np.testing.assert_allclose(smooth, sma_reference(noisy[1000:2000], 11, step - 1000), rtol=1e-9)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"smoothing": "ema", "weight": 1.5}, "smoothing=ema: weight must be in [0, 1)"),
        ({"smoothing": "savgol", "window": 10}, "smoothing=savgol: window must be odd"),
        ({"smoothing": "median"}, "Input should be 'ema', 'sma', 'gaussian' or 'savgol'"),
    ],
)
def test_bad_smoothing_is_422(live: LiveServer, params: dict[str, Any], message: str) -> None:
    response = live.get("/metrics/noisy", metric="train/loss", **params)
    assert response.status_code == 422 and message in response.text


def test_smoothing_over_the_cap_falls_back_and_says_so(clickhouse_server: EmbeddedClickHouse,
                                                      live: LiveServer) -> None:
    with LiveServer(settings_for(clickhouse_server, live.settings.ch_database,
                                 smoothing_max_rows=1000)) as small:
        body = small.get("/metrics/noisy", metric="train/loss", smoothing="ema").json()
    assert body["smoothed"] is False and "smoothed" not in body["series"][0]


def test_any_metric_as_x_joined_on_step(live: LiveServer) -> None:
    body = live.get("/metrics/noisy", metric="train/loss", x="tokens", from_step=0, max_points=5000,
                    to_step=2999).json()
    (series,) = body["series"]
    assert body["x"] == "tokens" and len(series["x"]) == len(series["step"]) == 3000
    for s, x in zip(series["step"], series["x"], strict=True):
        assert x == (s * 512.0 if s % 1000 == 0 else "NaN")


def truth(live: LiveServer, clickhouse_server: EmbeddedClickHouse) -> Any:
    db = clickhouse_server.client(database=live.settings.ch_database)
    try:
        return db.query_np("SELECT metric, step, value FROM metric_points WHERE run_id = 'big' "
                           "ORDER BY metric, host, rank, device, step, event_time")
    finally:
        db.close()


def same_floats(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-for-bit equal, NaN included."""
    return bool(np.array_equal(a.astype(np.float64).view(np.uint64), b.astype(np.float64).view(np.uint64)))


@pytest.mark.slow
def test_csv_export_round_trips_every_point_exactly(live: LiveServer,
                                                    clickhouse_server: EmbeddedClickHouse) -> None:
    expected = truth(live, clickhouse_server)
    with httpx.stream("GET", f"{live.url}/export/big", params={"format": "csv"}, timeout=120) as r:
        assert r.status_code == 200 and "big.csv" in r.headers["content-disposition"]
        text = r.read().decode()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == ["metric", "step", "event_time", "value", "host", "rank", "device", "unit"]
    rows = list(reader)
    assert len(rows) == 1_000_000
    steps = np.array([int(r[1]) for r in rows])
    values = np.array([float(r[3]) for r in rows])
    np.testing.assert_array_equal(steps, expected["step"].astype(np.int64))
    assert [r[0] for r in rows[:1]] == ["a"] and rows[-1][0] == "b"
    assert np.isnan(values).sum() == np.isnan(expected["value"]).sum() > 0
    assert np.isposinf(values).sum() > 0 and np.isneginf(values).sum() > 0
    np.testing.assert_array_equal(values[np.isnan(values)], expected["value"][np.isnan(values)])
    assert same_floats(np.nan_to_num(values, nan=0.5), np.nan_to_num(expected["value"], nan=0.5))


@pytest.mark.slow
def test_parquet_export_round_trips_every_point_exactly(live: LiveServer,
                                                        clickhouse_server: EmbeddedClickHouse) -> None:
    import pyarrow.parquet as pq

    expected = truth(live, clickhouse_server)
    response = httpx.get(f"{live.url}/export/big", params={"format": "parquet"}, timeout=120)
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == 1_000_000
    np.testing.assert_array_equal(table.column("step").to_numpy(), expected["step"])
    values = table.column("value").to_numpy()
    assert np.isnan(values).sum() > 0
    assert same_floats(np.nan_to_num(values, nan=0.5), np.nan_to_num(expected["value"], nan=0.5))


def test_jsonl_export_of_one_metric_and_a_step_range(live: LiveServer) -> None:
    response = live.get("/export/big", format="jsonl", metric="a", from_step=10, to_step=20)
    lines = [httpx.Response(200, content=line).json() for line in response.content.splitlines()]
    # the table's order: by series (rank = step % 3 here), then step
    assert [(row["rank"], row["step"]) for row in lines] == [(0, 12), (0, 18), (1, 10), (1, 16),
                                                            (2, 14), (2, 20)]
    assert {row["metric"] for row in lines} == {"a"} and lines[0]["host"] == "h1"


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [("/export/nope", {}, 404), ("/export/big", {"format": "xls"}, 422),
     ("/export/big", {"from_step": 5, "to_step": 1}, 422),
     ("/export/big", {"from_time": 9, "to_time": 1}, 422)],
)
def test_export_bad_requests(live: LiveServer, path: str, params: dict[str, Any], status: int) -> None:
    assert live.get(path, **params).status_code == status


@pytest.mark.parametrize(
    ("params", "reference", "reach"),
    [
        ({"smoothing": "ema", "weight": 0.99}, lambda y, at: ema_reference(y, 0.99)[at], 0),
        ({"smoothing": "sma", "window": 501}, lambda y, at: sma_reference(y, 501, at), 250),
        ({"smoothing": "gaussian", "sigma": 40}, lambda y, at: gaussian_reference(y, 40, at), 160),
        ({"smoothing": "savgol", "window": 301, "order": 3}, lambda y, at: savgol_reference(y, 301, 3, at), 150),
    ],
)
def test_live_tail_continues_the_filter_without_a_jump_at_the_join(
        live: LiveServer, noisy: np.ndarray, params: dict[str, Any], reference: Any, reach: int) -> None:
    # What a chart held when the run had reached `held` (a NaN just before it), then the tail.
    held = HOLE + 100
    step_a, _, smooth_a, _ = smoothed(live, to_step=held, **params)
    response = live.get("/metrics/noisy", metric="train/loss", max_points=100_000,
                        tail_after_step=held, **params)
    assert response.status_code == 200, response.text
    (tail,) = response.json()["series"]
    # `reach` finite points back from the held end; the NaN at HOLE lies inside that reach
    expected_from = held + 1 - reach - (1 if reach > 100 else 0)
    assert tail["from_step"] == expected_from and tail["replace"] is False
    assert tail["step"][0] == expected_from and tail["step"][-1] == N - 1
    keep = step_a < tail["from_step"]
    step = np.concatenate([step_a[keep], np.array(tail["step"])])
    joined = np.concatenate([smooth_a[keep], decode(tail["smoothed"])])
    assert np.all(np.diff(step) > 0)
    np.testing.assert_allclose(joined, reference(noisy, step), rtol=1e-9)


def test_tail_without_smoothing_is_422(live: LiveServer) -> None:
    response = live.get("/metrics/noisy", metric="train/loss", tail_after_step=10)
    assert response.status_code == 422 and "tail_after_step needs smoothing" in response.text


def test_card_download_has_every_runs_points_of_the_window_with_a_run_id(live: LiveServer) -> None:
    response = live.get("/export", run_id=["noisy", "big", "nope"], metric=["train/loss", "a"],
                        from_step=HOLE - 1, to_step=HOLE + 2, format="csv")
    assert response.status_code == 200
    assert 'filename="runs.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    got = [(r["run_id"], r["metric"], int(r["step"])) for r in rows]
    # big logs `a` at even steps, series by rank (step % 3); runs without points add nothing
    assert got == [("big", "a", HOLE + 2), ("big", "a", HOLE),
                   *[("noisy", "train/loss", s) for s in range(HOLE - 1, HOLE + 3)]]
    assert [r["value"] for r in rows if r["run_id"] == "noisy"][1] == "nan"


@pytest.mark.parametrize(
    "params",
    [{}, {"run_id": "noisy", "format": "xls"}, {"run_id": "noisy", "from_time": 9, "to_time": 1}],
)
def test_card_download_bad_requests_are_422(live: LiveServer, params: dict[str, Any]) -> None:
    response = live.get("/export", **params)
    assert response.status_code == 422 and response.json()["detail"]
