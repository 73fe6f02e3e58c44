"""The example queries of sql/README.md as console snippets (pure parsing + one file read).

Each ```sql block is one snippet; its title is the paragraph just above it. The README is the
one place those queries live (tests/test_sql_readme.py runs every one of them), so the
console shows the same, tested text.
"""

from __future__ import annotations

import re
from pathlib import Path

from runwatch.server import assets

_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def parse(markdown: str) -> list[dict[str, str]]:
    snippets: list[dict[str, str]] = []
    for match in _BLOCK.finditer(markdown):
        before = markdown[:match.start()].rstrip()
        paragraph = before.rsplit("\n\n", 1)[-1].strip()
        title = " ".join(paragraph.split()).rstrip(":")
        if title.startswith("#") or title.startswith("```"):
            title = ""
        snippets.append({"title": title or f"Example {len(snippets) + 1}",
                         "query": match.group(1).strip()})
    return snippets


def load(readme: Path | None = None) -> list[dict[str, str]]:
    if readme is None:
        sql = assets.sql_dir()
        if sql is None:
            return []
        readme = sql / "README.md"
    try:
        return parse(readme.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []


_TABLE_ROW = re.compile(r"^\| `[^`]+` \| `([A-Za-z0-9_]+)`[^|]*\| (.+?) \|$", re.MULTILINE)


def table_notes(markdown: str) -> dict[str, str]:
    """table name → "one row is ..." from the README's table of files, for tables whose DDL
    carries no COMMENT."""
    return {match.group(1): match.group(2).strip() for match in _TABLE_ROW.finditer(markdown)}


def load_table_notes() -> dict[str, str]:
    sql = assets.sql_dir()
    if sql is None:
        return {}
    try:
        return table_notes((sql / "README.md").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
