"""GET /media/{run_id}: the images a run logged (without their bytes);
GET /media/{run_id}/image?key=&step=&idx=: one image's bytes with its content type."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep
from runwatch.server.api.routes.errors import NOT_FOUND, UNAVAILABLE, ensure_run_exists
from runwatch.server.live.sse_encoding import dumps
from runwatch.server.query import rich_queries as queries

router = APIRouter(tags=["media"])
RunId = Annotated[str, Path(min_length=1, max_length=512)]
# Only what the agent stores: a browser never gets to sniff an unexpected type from us.
SAFE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@router.get("/media/{run_id}", responses={**NOT_FOUND, **UNAVAILABLE})
def list_media(
    run_id: RunId, ch: ClickHouseDep,
    key: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    ensure_run_exists(ch, run_id)
    items = []
    for row in ch.query(*queries.media_list(run_id, key)).result_rows:
        item = dict(zip(queries.MEDIA_COLUMNS, row, strict=True))
        item["time"] = int(item.pop("t"))
        items.append(item)
    return Response(dumps({"run_id": run_id, "media": items}), media_type="application/json")


@router.get("/media/{run_id}/image", responses={**NOT_FOUND, **UNAVAILABLE, **{200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The image bytes"}}})
def media_image(
    run_id: RunId, ch: ClickHouseDep,
    key: Annotated[str, Query(min_length=1, max_length=200)],
    step: Annotated[int, Query(ge=0, le=2**64 - 1)],
    idx: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
    rank: Annotated[int | None, Query(ge=0, le=2**32 - 1)] = None,
) -> Response:
    rows = ch.query(*queries.media_item(run_id, key, step, idx, rank)).result_rows
    if not rows:
        ensure_run_exists(ch, run_id)
        raise HTTPException(404, detail=f"no image {key!r} at step {step} (idx {idx})")
    mime, data_hex = rows[0]
    mime = mime if mime in SAFE_TYPES else "application/octet-stream"
    return Response(bytes.fromhex(data_hex), media_type=mime, headers={
        "Cache-Control": "public, max-age=86400, immutable",  # a logged image never changes
        "X-Content-Type-Options": "nosniff",
    })
