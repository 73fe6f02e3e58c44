"""GET /sql/schema and /sql/snippets: what the console's schema browser and completion show."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from runwatch.server.api.deps import ClickHouseDep
from runwatch.server.api.routes.sql import ConsoleDep
from runwatch.server.console import snippets

router = APIRouter(tags=["sql"])

_TABLES = """
SELECT name, engine, comment, total_rows
FROM system.tables
WHERE database = currentDatabase() AND NOT is_temporary
ORDER BY name
"""
_COLUMNS = """
SELECT table, name, type, comment
FROM system.columns
WHERE database = currentDatabase()
ORDER BY table, position
"""


@router.get("/sql/schema")
def schema(ch: ClickHouseDep, _console: ConsoleDep) -> dict[str, Any]:
    tables = ch.query(_TABLES, {}).result_rows
    columns: dict[str, list[dict[str, str]]] = {}
    for table, name, type_, comment in ch.query(_COLUMNS, {}).result_rows:
        columns.setdefault(table, []).append({"name": name, "type": type_, "comment": comment})
    notes = snippets.load_table_notes()
    return {"tables": [
        {"name": name, "engine": engine, "comment": comment or notes.get(name, ""),
         "total_rows": None if total is None else int(total), "columns": columns.get(name, [])}
        for name, engine, comment, total in tables
    ]}


@router.get("/sql/snippets")
async def list_snippets(_console: ConsoleDep) -> dict[str, Any]:
    return {"snippets": await run_in_threadpool(snippets.load)}
