"""/saved-queries: console queries saved as panels (the `saved_queries` table).

GET lists the live ones, PUT /saved-queries/{id} saves a version (create or update), DELETE
writes a tombstone. Every statement is parameterized; the newest version of an id wins
(ReplacingMergeTree, read with FINAL).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from runwatch.server.api.deps import ClickHouseDep
from runwatch.server.api.routes.errors import ErrorBody
from runwatch.server.api.routes.sql import ConsoleDep

router = APIRouter(tags=["saved-queries"])

Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Column = Annotated[str, Field(min_length=1, max_length=256)]

_COLUMNS = ["id", "name", "query", "chart_json", "refresh_sec", "deleted", "updated_at"]
_LIST = """
SELECT id, name, query, chart_json, refresh_sec, toUnixTimestamp64Milli(updated_at)
FROM saved_queries FINAL
WHERE deleted = 0
ORDER BY name, id
"""


class Chart(BaseModel):
    kind: Literal["line", "bar", "table"] = "table"
    x: Column | None = None
    y: list[Column] = Field(default_factory=list, max_length=32)
    series: Column | None = None


class SavedQuery(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=100_000)
    chart: Chart = Field(default_factory=Chart)
    refresh_sec: int = Field(default=10, ge=1, le=86_400)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@router.get("/saved-queries")
def list_saved(ch: ClickHouseDep, _console: ConsoleDep) -> dict[str, Any]:
    rows = ch.query(_LIST, {}).result_rows
    return {"saved_queries": [
        {"id": id_, "name": name, "query": query, "chart": _chart(chart_json),
         "refresh_sec": int(refresh), "updated_at": int(updated)}
        for id_, name, query, chart_json, refresh, updated in rows
    ]}


@router.put("/saved-queries/{query_id}", responses={
    400: {"model": ErrorBody, "description": "The body is not JSON"}})
def save(query_id: Id, body: SavedQuery, ch: ClickHouseDep, _console: ConsoleDep) -> dict[str, Any]:
    row = [query_id, body.name, body.query, body.chart.model_dump_json(), body.refresh_sec, 0, _now()]
    ch.get().insert("saved_queries", [row], column_names=_COLUMNS)
    return {"id": query_id, **body.model_dump()}


@router.delete("/saved-queries/{query_id}", status_code=204)
def delete(query_id: Id, ch: ClickHouseDep, _console: ConsoleDep) -> None:
    ch.get().insert("saved_queries", [[query_id, "", "", "{}", 10, 1, _now()]], column_names=_COLUMNS)


def _chart(text: str) -> dict[str, Any]:
    try:
        return Chart.model_validate(json.loads(text)).model_dump()
    except ValueError:
        return Chart().model_dump()
