"""GET /export/{run_id}: every raw point of a run as CSV, Parquet or JSON lines.

ClickHouse encodes (CSVWithNames / Parquet / JSONEachRow) and the bytes go through as they
arrive (clickhouse-connect raw_stream), so memory stays constant whatever the run's size:
there is no Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from runwatch.server.api.deps import ClickHouseDep
from runwatch.server.api.routes.errors import (
    NOT_FOUND,
    UNAVAILABLE,
    ensure_run_exists,
    invalid_parameters,
)
from runwatch.server.compare import queries as cq
from runwatch.server.query.metric_queries import Window

router = APIRouter(tags=["export"])

_MAX_STEP = 2**63 - 1
CHUNK_BYTES = 1 << 20
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet",
               "jsonl": "application/x-ndjson"}


def open_export(client: Any, run_id: str | list[str], fmt: str, metrics: list[str],
                window: Window) -> Any:
    """A readable stream of the export, straight from ClickHouse."""
    sql, params = cq.export(run_id, metrics, window)
    settings = {"output_format_parquet_compression_method": "zstd"} if fmt == "parquet" else {}
    return client.raw_stream(sql, parameters=params, settings=settings, fmt=cq.EXPORT_FORMATS[fmt])


def chunks(stream: Any) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()


def _window(from_step: int | None, to_step: int | None, from_time: int | None,
            to_time: int | None) -> Window:
    """The exported range; an empty one is a 422 that says which bound is wrong."""
    if from_step is not None and to_step is not None and from_step > to_step:
        raise invalid_parameters("from_step", "from_step must not be greater than to_step")
    if from_time is not None and to_time is not None and from_time > to_time:
        raise invalid_parameters("from_time", "from_time must not be greater than to_time")
    return Window(from_step, to_step, from_time, to_time)


@router.get("/export/{run_id}", responses={**NOT_FOUND, **UNAVAILABLE, **{200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}, "application/x-ndjson": {}}, "description": "Every raw point of the run"}}})
def export_run(
    run_id: Annotated[str, Path(min_length=1, max_length=512)],
    ch: ClickHouseDep,
    format: Literal["csv", "parquet", "jsonl"] = "csv",
    metric: Annotated[list[str] | None, Query(max_length=1000)] = None,
    from_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    to_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    from_time: Annotated[int | None, Query(ge=0, description="epoch ms")] = None,
    to_time: Annotated[int | None, Query(ge=0, description="epoch ms")] = None,
) -> StreamingResponse:
    window = _window(from_step, to_step, from_time, to_time)
    ensure_run_exists(ch, run_id)
    stream = open_export(ch.get(), run_id, format, metric or [], window)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return StreamingResponse(
        chunks(stream), media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{format}"'},
    )


@router.get("/export", responses={**UNAVAILABLE, **{200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}, "application/x-ndjson": {}}, "description": "Every raw point of these runs, with a run_id column"}}})
def export_runs(
    ch: ClickHouseDep,
    run_id: Annotated[list[str], Query(min_length=1, max_length=1000, description="the runs (a chart card's lines)")],
    format: Literal["csv", "parquet", "jsonl"] = "csv",
    metric: Annotated[list[str] | None, Query(max_length=1000)] = None,
    from_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    to_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    from_time: Annotated[int | None, Query(ge=0, description="epoch ms")] = None,
    to_time: Annotated[int | None, Query(ge=0, description="epoch ms")] = None,
) -> StreamingResponse:
    """A chart card's download: its runs' raw points in one file (runs that stored nothing
    add no rows)."""
    window = _window(from_step, to_step, from_time, to_time)
    stream = open_export(ch.get(), sorted(set(run_id)), format, metric or [], window)
    name = (metric[0] if metric and len(metric) == 1 else "runs")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return StreamingResponse(
        chunks(stream), media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{format}"'},
    )
