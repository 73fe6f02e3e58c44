"""External data: tables sent with the query as `file` parts of a multipart body.

As on clickhouse-server, each part named `<name>` becomes a temporary table `<name>` for
that query only; its columns come from `<name>_structure` ("id UInt32, s String") or
`<name>_types` ("UInt32,String", columns named _1, _2, ...), its format from
`<name>_format` (TabSeparated by default). The table is created on the request's own
connection and filled through the engine's streaming insert, so the data is parsed by the
engine exactly as an INSERT would be; on a session's connection it is dropped afterwards.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from runwatch.server.embedded import engine as eng
from runwatch.server.embedded import querytext
from runwatch.server.embedded.errors import EngineError
from runwatch.server.embedded.options import ExternalPart

DEFAULT_FORMAT = "TabSeparated"


@dataclass(frozen=True)
class ExternalTable:
    name: str
    structure: str
    format: str
    data: bytes


def _split_types(types: str) -> list[str]:
    """"UInt32,Tuple(String, Int8)" → ["UInt32", "Tuple(String, Int8)"] (commas at depth 0)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(types):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(types[start:i].strip())
            start = i + 1
    out.append(types[start:].strip())
    return [t for t in out if t]


def _check_structure(name: str, structure: str) -> None:
    """The structure goes inside `CREATE TEMPORARY TABLE t (...)`: it must not close that
    parenthesis (`a Int8) ENGINE = File(...)` would reach around the file policy), end the
    statement or hide text in a comment."""
    depth = 0
    for kind, start, _end in querytext.lexemes(structure):
        lead = structure[start]
        if kind in ("comment", "open", "heredoc") or (kind == "punct" and lead == ";"):
            depth = -1
        elif kind == "punct":
            depth += 1 if lead == "(" else -1
        if depth < 0:
            break
    if depth != 0:
        raise EngineError.named("BAD_ARGUMENTS", f"Invalid structure for external table {name}: {structure!r}")


def resolve(parts: list[ExternalPart], settings: MutableMapping[str, str]) -> list[ExternalTable]:
    """The tables the parts describe; their `<name>_*` parameters are taken out of
    `settings` (where the URL parsing put them: they are not engine settings)."""
    tables = []
    for part in parts:
        structure = settings.pop(f"{part.name}_structure", None)
        types = settings.pop(f"{part.name}_types", None)
        fmt = settings.pop(f"{part.name}_format", None) or DEFAULT_FORMAT
        if structure is None and types is not None:
            structure = ", ".join(f"_{i} {t}" for i, t in enumerate(_split_types(types), 1))
        if not structure:
            raise EngineError.named(
                "BAD_ARGUMENTS",
                f"Neither structure nor types have not been provided for external table {part.name}. "
                f"Use fields {part.name}_structure or {part.name}_types to do so.")
        _check_structure(part.name, structure)
        tables.append(ExternalTable(part.name, structure, fmt, part.data))
    return tables


def attach(conn: Any, tables: list[ExternalTable]) -> None:
    """Create and fill each table on `conn` (blocking)."""
    for table in tables:
        name = eng.quote_identifier(table.name)
        eng.run_statement(conn, f"CREATE TEMPORARY TABLE {name} ({table.structure}) ENGINE = Memory")
        insert = eng.Insert(conn, f"INSERT INTO {name}", table.format)
        if table.data:
            insert.append(table.data)
        insert.finish()


def detach(conn: Any, tables: list[ExternalTable]) -> None:
    for table in tables:
        eng.run_statement(conn, f"DROP TEMPORARY TABLE IF EXISTS {eng.quote_identifier(table.name)}")
