"""GET /runs/table: every run with its flattened config and chosen summaries, filtered and
sorted (runwatch.server.compare.table); `format=csv` downloads the same table."""

from __future__ import annotations

import csv
import io
import math
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep, CompareCacheDep, SettingsDep
from runwatch.server.api.routes.errors import UNAVAILABLE, invalid_parameters
from runwatch.server.compare import table as tbl
from runwatch.server.compare.filters import FilterError
from runwatch.server.live.sse_encoding import float_label, sanitize

router = APIRouter(tags=["runs"])


@router.get("/runs/table", responses={**UNAVAILABLE, **{200: {"content": {"application/json": {}, "text/csv": {}}, "description": "The table (format=csv: as CSV)"}}})
def runs_table(
    ch: ClickHouseDep,
    settings: SettingsDep,
    cache: CompareCacheDep,
    filter: Annotated[str, Query(max_length=4000, description="e.g. optimizer.lr < 1e-3")] = "",
    sort: Annotated[list[str] | None, Query(max_length=16, description="column, -column: descending")] = None,
    summary: Annotated[list[str] | None, Query(max_length=64, description="metric[:last|min|max|min_step|max_step]")] = None,
    column: Annotated[list[str] | None, Query(max_length=500, description="CSV: these columns, in order")] = None,
    limit: Annotated[int, Query(ge=1, le=tbl.ALL_RUNS)] = tbl.ALL_RUNS,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Literal["json", "csv"] = "json",
) -> Response:
    try:
        wanted = tbl.parse_summaries(summary or [])
        table = cache.table(ch, int(settings.active_window_sec * 1000),
                            int(settings.crash_after_sec * 1000), filter_text=filter,
                            sort=sort or [], wanted=wanted)
    except FilterError as exc:
        raise invalid_parameters("filter", f"filter: {exc}") from None
    except ValueError as exc:
        raise invalid_parameters("sort", str(exc)) from None
    rows = table.rows[offset: offset + limit]
    columns = table.columns
    if column:
        by_id = {c.id: c for c in columns}
        unknown = [c for c in column if c not in by_id]
        if unknown:
            raise invalid_parameters("columns", f"unknown columns: {', '.join(unknown)}")
        columns = [by_id[c] for c in column]
    if format == "csv":
        return Response(_csv(columns, rows), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="runs.csv"'})
    memo = (tuple(c.id for c in columns), offset, limit)
    body = table.encoded.get(memo)
    if body is None:
        body = table.encoded[memo] = _json(table, columns, rows)
    return Response(body, media_type="application/json")


def _json(table: tbl.Table, columns: list[tbl.Column], rows: list[dict[str, Any]]) -> bytes:
    ids = [c.id for c in columns]
    cells = [[r.get(i) for i in ids] for r in rows]
    # orjson writes NaN/Inf as null; only number columns can hold them, so only those are
    # walked to name them (a generic sanitize of every cell costs more than the query).
    for j, c in enumerate(columns):
        if c.kind == "number":
            for row_cells in cells:
                v = row_cells[j]
                if isinstance(v, float) and not math.isfinite(v):
                    row_cells[j] = float_label(v)
    return b"".join((
        b'{"columns":', orjson.dumps([c.as_json() for c in columns]),
        b',"rows":', orjson.dumps(cells, default=_fallback),
        b',"active":', orjson.dumps([bool(r.get("is_active")) for r in rows]),
        b',"total":', str(table.total).encode(), b',"matched":', str(len(table.rows)).encode(), b"}",
    ))


@router.get("/runs/metrics", responses=UNAVAILABLE)
def metric_names(ch: ClickHouseDep) -> Response:
    """Every metric name, for choosing summary columns, a group's metric or an x axis."""
    from runwatch.server.compare import queries as cq

    names = [str(r[0]) for r in ch.query(*cq.metric_names()).result_rows]
    return Response(orjson.dumps({"metrics": names}), media_type="application/json")


def _fallback(value: Any) -> Any:
    return sanitize(value) if isinstance(value, (list, dict, tuple)) else str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return float_label(value)
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return "" if value is None else value


def _csv(columns: list[tbl.Column], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.id for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.id)) for c in columns])
    return out.getvalue().encode()
