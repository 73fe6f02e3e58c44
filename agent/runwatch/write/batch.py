"""One insert: a table, its explicit columns, a Native body and the deduplication token.

The token is chosen when the batch is built and never changes, through retries, the spool
and a replay by another process, so ClickHouse stores the batch once however often it is sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


def new_token() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Batch:
    table: str
    columns: tuple[str, ...]
    body: bytes
    points: int  # metric points in the batch (0 for a runs row)
    database: str
    token: str = field(default_factory=new_token)
    encoding: str | None = None  # the body's HTTP Content-Encoding ("lz4" once spooled)

    @property
    def size(self) -> int:
        return len(self.body)
