"""The runs table: one row per run, its flattened config and the chosen metric summaries.

Rows come from the same runs query as GET /runs (every run ClickHouse knows, joined with
run_stats); summaries are one aggregate over metric_points in ClickHouse; the config is
flattened here, per run (runwatch.server.compare.flatten). Filtering (the expression
language of runwatch.server.compare.filters) and sorting then run over these rows: at
10,000 runs that is milliseconds, and it lets a filter reach config keys and summaries alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from runwatch.server.compare import filters
from runwatch.server.compare import queries as cq
from runwatch.server.compare.flatten import flatten
from runwatch.server.query import queries
from runwatch.server.query.clients import ClientPool

Kind = Literal["number", "string", "list", "time", "duration"]
AGGREGATES = ("last", "min", "max", "min_step", "max_step")
DEFAULT_AGGREGATES = ("last", "min", "max")
ALL_RUNS = 1_000_000

# id, label, kind: the run's own columns, in their default order.
RUN_COLUMNS: tuple[tuple[str, str, Kind], ...] = (
    ("name", "name", "string"), ("run_id", "run id", "string"), ("project", "project", "string"),
    ("status", "status", "string"), ("user", "user", "string"), ("host", "host", "string"),
    ("git_commit", "git commit", "string"), ("started", "started", "time"),
    ("duration", "duration", "duration"), ("latest_step", "latest step", "number"),
    ("tags", "tags", "list"), ("point_count", "points", "number"),
)
_RUN_IDS = {c[0] for c in RUN_COLUMNS}


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    kind: Kind
    group: Literal["run", "config", "summary"]

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "group": self.group}


@dataclass(frozen=True)
class Summary:
    metric: str
    aggregate: str

    @property
    def column_id(self) -> str:
        return f"{self.metric}:{self.aggregate}"


def parse_summaries(specs: Sequence[str]) -> list[Summary]:
    """`val/loss:min` → one summary; `val/loss` → last, min and max. Raises ValueError."""
    out: list[Summary] = []
    for spec in specs:
        metric, sep, agg = spec.rpartition(":")
        if sep and agg in AGGREGATES and metric:
            out.append(Summary(metric, agg))
        elif sep and agg and metric and agg not in AGGREGATES and ":" not in spec[len(metric) + 1:]:
            raise ValueError(f"unknown summary {agg!r} in {spec!r}; one of {', '.join(AGGREGATES)}")
        else:
            out += [Summary(spec, a) for a in DEFAULT_AGGREGATES]
    seen: dict[str, Summary] = {}
    for s in out:
        seen.setdefault(s.column_id, s)
    return list(seen.values())


def load_config(text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:  # NaN/Infinity tokens, which only the json module reads
        try:
            value = json.loads(text)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def run_row(row: Mapping[str, Any], config_types: dict[str, set[type]] | None = None,
            flatten_config: Callable[[str], dict[str, Any]] | None = None) -> dict[str, Any]:
    """A runs-query row as the table's cells (config under `config.`)."""
    start, last = row["start_ms"], row["last_event_ms"]
    hosts = {str(h) for h in (row["hosts"] or []) if h}
    if row["run_host"]:
        hosts.add(str(row["run_host"]))
    cells: dict[str, Any] = {
        "run_id": str(row["run_id"]), "name": str(row["name"]) or str(row["run_id"]),
        "project": str(row["project"]), "status": str(row["status"]),
        "is_active": bool(row["is_active"]), "user": str(row["user"]),
        "host": ", ".join(sorted(hosts)), "git_commit": str(row["git_commit"]),
        "started": None if start is None else int(start),
        "duration": int(last) - int(start) if start is not None and last is not None else None,
        "latest_step": None if row["max_step"] is None else int(row["max_step"]),
        "tags": list(row["tags"] or []), "point_count": int(row["point_count"] or 0),
    }
    text = str(row["config_json"])
    config = flatten(load_config(text), "config") if flatten_config is None else flatten_config(text)
    cells.update(config)
    if config_types is not None:
        note_config_types(config_types, config)
    return cells


def note_config_types(config_types: dict[str, set[type]], config: Mapping[str, Any]) -> None:
    """Which value types each config key has taken (a column's kind: numeric, text, mixed)."""
    for key, value in config.items():
        seen = config_types.get(key)
        if seen is None:
            config_types[key] = {type(value)}
        else:
            seen.add(type(value))


def status_expiry(rows: Sequence[Mapping[str, Any]], active_ms: int, crash_ms: int) -> float:
    """The first instant (ClickHouse's epoch ms) at which one of these rows would show another
    status with no new data (the soonest flip_instant)."""
    return min((flip_instant(r["status"], r["activity_ms"], r["heartbeat_ms"], active_ms, crash_ms)
                for r in rows), default=math.inf)


def flip_instant(status: str, activity_ms: int | None, heartbeat_ms: int | None,
                 active_ms: int, crash_ms: int) -> float:
    """When a run would show another status with no new data: a running run turns stale once
    its activity is `active_ms` old, a running or stale one crashed once its heartbeat is
    `crash_ms` old (runs_page's rules); never for the others."""
    soonest = math.inf
    if status == "running":
        soonest = int(activity_ms or 0) + active_ms + 1
    if status in ("running", "stale") and heartbeat_ms is not None:
        soonest = min(soonest, int(heartbeat_ms) + crash_ms + 1)
    return soonest


@dataclass(frozen=True)
class Read:
    """read()'s rows (in the runs query's order: most recently active first, then run_id) and,
    per row, its flattened config, activity and flip_instant."""
    rows: list[dict[str, Any]]
    configs: list[dict[str, Any]]
    activity: list[int]
    flips: list[float]


def read_rows(pool: ClientPool, active_ms: int, run_ids: Sequence[str] | None = None,
              config_types: dict[str, set[type]] | None = None, *, crash_ms: int = 45_000,
              flatten_config: Callable[[str], dict[str, Any]] | None = None,
              ) -> tuple[list[dict[str, Any]], float]:
    """The table's rows and their status_expiry; `config_types` collects the Python types
    seen under each config key."""
    found = read(pool, active_ms, run_ids, crash_ms=crash_ms, flatten_config=flatten_config)
    if config_types is not None:
        for config in found.configs:
            note_config_types(config_types, config)
    return found.rows, min(found.flips, default=math.inf)


def read(pool: ClientPool, active_ms: int, run_ids: Sequence[str] | None = None, *,
         crash_ms: int = 45_000, flatten_config: Callable[[str], dict[str, Any]] | None = None,
         ) -> Read:
    flt = queries.RunsFilter(run_ids=run_ids)
    sql, params = queries.runs_page(flt, ALL_RUNS, 0, active_ms, crash_ms)
    # Column by column: at 10,000 runs a dict per raw row and a call per row cost more than
    # the ClickHouse query (the cells are exactly run_row's, tested against it).
    result = pool.get().query(sql, parameters=params, column_oriented=True)
    if not result.result_columns:  # no rows: no columns either
        return Read([], [], [], [])
    c = dict(zip(result.column_names, result.result_columns, strict=True))
    ids = [str(r) for r in c["run_id"]]
    hosts = [", ".join(sorted({str(h) for h in (hs or []) if h} | ({str(rh)} if rh else set())))
             for hs, rh in zip(c["hosts"], c["run_host"], strict=True)]
    starts = c["start_ms"]
    statuses = [str(v) for v in c["status"]]
    columns: dict[str, list[Any]] = {
        "run_id": ids,
        "name": [str(n) or i for n, i in zip(c["name"], ids, strict=True)],
        "project": [str(v) for v in c["project"]], "status": statuses,
        "is_active": [bool(v) for v in c["is_active"]], "user": [str(v) for v in c["user"]],
        "host": hosts, "git_commit": [str(v) for v in c["git_commit"]],
        "started": [None if s is None else int(s) for s in starts],
        "duration": [int(e) - int(s) if s is not None and e is not None else None
                     for s, e in zip(starts, c["last_event_ms"], strict=True)],
        "latest_step": [None if m is None else int(m) for m in c["max_step"]],
        "tags": [list(t or []) for t in c["tags"]],
        "point_count": [int(p or 0) for p in c["point_count"]],
    }
    keys = list(columns)
    rows = [dict(zip(keys, cells, strict=True)) for cells in zip(*columns.values(), strict=True)]
    flat = flatten_config or (lambda text: flatten(load_config(text), "config"))
    configs = [flat(str(text)) for text in c["config_json"]]
    for row, config in zip(rows, configs, strict=True):
        row.update(config)
    activity = [int(a) for a in c["activity_ms"]]
    flips = [flip_instant(s, a, h, active_ms, crash_ms) if s in ("running", "stale") else math.inf
             for s, a, h in zip(statuses, activity, c["heartbeat_ms"], strict=True)]
    return Read(rows, configs, activity, flips)


def add_summaries(pool: ClientPool, rows: list[dict[str, Any]], wanted: Sequence[Summary],
                  *, these_runs_only: bool = False) -> None:
    """The `wanted` summary cells of `rows`; `these_runs_only`: aggregated over those runs'
    points only (a few re-read rows), not every run's."""
    if not wanted or not rows:
        return
    metrics = sorted({s.metric for s in wanted})
    run_ids = [r["run_id"] for r in rows] if these_runs_only else None
    result = pool.query(*cq.summaries(metrics, sorted({s.aggregate for s in wanted}), run_ids))
    names = result.column_names
    by_key = {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in result.result_rows}
    for row in rows:
        for s in wanted:
            found = by_key.get((row["run_id"], s.metric))
            value = None if found is None else found[s.aggregate]
            if found is not None and s.aggregate.endswith("_step") and not found["finite"]:
                value = None
            if isinstance(value, float) and math.isnan(value) and s.aggregate != "last":
                value = None
            row[s.column_id] = int(value) if s.aggregate.endswith("_step") and value is not None else value


def columns_of(config_types: Mapping[str, set[type]], wanted: Sequence[Summary]) -> list[Column]:
    cols = [Column(cid, label, kind, "run") for cid, label, kind in RUN_COLUMNS]
    for key in sorted(config_types):
        cols.append(Column(key, key.removeprefix("config."), _kind_of(config_types[key]), "config"))
    for s in wanted:
        label = f"{s.metric} {s.aggregate.replace('_', ' ')}"
        cols.append(Column(s.column_id, label, "number", "summary"))
    return cols


def _kind_of(types: set[type]) -> Kind:
    """number when every run holds a number there (bools are not), list for lists/dicts."""
    values = types - {type(None)}
    if values and values <= {int, float}:
        return "number"
    if values and values <= {list, dict}:
        return "list"
    return "string"


def resolver(columns: Sequence[Column]) -> Callable[[str], str | None]:
    ids = {c.id for c in columns}

    def resolve(name: str) -> str | None:
        if name in ids:
            return name
        if f"config.{name}" in ids:
            return f"config.{name}"
        return None

    return resolve


SortKey = tuple[int, float, str]


def sort_rows(rows: list[dict[str, Any]], keys: Sequence[str],
              key_of: Callable[[str], Callable[[dict[str, Any]], SortKey | None]] | None = None,
              ) -> None:
    """Stable multi-key sort: numbers as numbers, then text; missing values last either way.
    `key_of(column)`: a row's sort_key there (e.g. kept per row), sort_key of the cell if not."""
    for spec in reversed(keys):
        desc = spec.startswith("-")
        column = spec.lstrip("-+")
        key = key_of(column) if key_of is not None else lambda r, c=column: sort_key(r.get(c))
        keyed = [(key(r), r) for r in rows]
        present = [kr for kr in keyed if kr[0] is not None]
        missing = [r for k, r in keyed if k is None]
        present.sort(key=lambda kr: kr[0], reverse=desc)  # type: ignore[arg-type, return-value]
        rows[:] = [r for _, r in present] + missing


def sort_key(value: Any) -> SortKey | None:
    if value is None:
        return None
    number = filters.number(value) if not isinstance(value, str) else None
    if number is not None:
        if math.isnan(number):
            return None
        return (0, number, "")
    if isinstance(value, (list, tuple)):
        return (1, 0.0, ",".join(map(str, value)).lower())
    return (1, 0.0, str(value).lower())


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[dict[str, Any]]  # matching rows, sorted
    total: int  # rows before filtering
    status_expiry: float = math.inf  # see status_expiry
    # Encoded answers of this table (by columns, slice): a kept table is answered from here.
    encoded: dict[Any, bytes] = field(default_factory=dict, compare=False, repr=False)


def build_table(pool: ClientPool, active_ms: int, *, filter_text: str = "",
                sort: Sequence[str] = (), wanted: Sequence[Summary] = (),
                run_ids: Sequence[str] | None = None, crash_ms: int = 45_000,
                flatten_config: Callable[[str], dict[str, Any]] | None = None) -> Table:
    """Raises filters.FilterError for a filter that does not parse, ValueError for an unknown
    sort column."""
    config_types: dict[str, set[type]] = {}
    rows, expiry = read_rows(pool, active_ms, run_ids, config_types, crash_ms=crash_ms,
                             flatten_config=flatten_config)
    add_summaries(pool, rows, wanted)
    return select(rows, config_types, wanted, filter_text, sort, expiry)


def select(rows: Sequence[dict[str, Any]], config_types: Mapping[str, set[type]],
           wanted: Sequence[Summary], filter_text: str, sort: Sequence[str], expiry: float,
           key_of: Callable[[str], Callable[[dict[str, Any]], SortKey | None]] | None = None,
           ) -> Table:
    """The table of these rows (all of them, in the runs query's order): columns, the rows the
    filter matches, sorted (`key_of`: see sort_rows)."""
    columns = columns_of(config_types, wanted)
    resolve = resolver(columns)
    predicate = filters.parse(filter_text, resolve)
    matched = [r for r in rows if predicate(r)]
    resolved = []
    for spec in sort:
        column = resolve(spec.lstrip("-+"))
        if column is None:
            raise ValueError(f"unknown sort column {spec.lstrip('-+')!r}")
        resolved.append(("-" if spec.startswith("-") else "") + column)
    sort_rows(matched, resolved, key_of)
    return Table(columns, matched, len(rows), expiry)
