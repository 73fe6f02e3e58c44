"""GET /tabs: the metric-name-prefix -> tab mapping (defaults or settings.tabs_file)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runwatch.server.api.deps import TabsDep

router = APIRouter(tags=["tabs"])


@router.get("/tabs")
def get_tabs(tabs: TabsDep) -> dict[str, Any]:
    return tabs.wire()
