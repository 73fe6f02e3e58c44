"""Where the schema files and the built page are: inside the wheel, or in a checkout.

The wheel carries `sql/` as `runwatch/server/sql/` and the built frontend as
`runwatch/server/static/` (see hatch_build.py). In a checkout (an editable install) neither
copy exists, and the repository's own `sql/` and `frontend/dist/` are used.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[2]  # backend/runwatch/server -> the repository root


def sql_dir() -> Path | None:
    for candidate in (_PACKAGE / "sql", _CHECKOUT / "sql"):
        if candidate.is_dir():
            return candidate
    return None


def static_dir() -> Path | None:
    """The built page (a directory with index.html), if there is one."""
    for candidate in (_PACKAGE / "static", _CHECKOUT / "frontend" / "dist"):
        if (candidate / "index.html").is_file():
            return candidate
    return None
