"""Which files a query may touch: only those under the user-files directory.

chDB runs as clickhouse-local, which lets `file()`, `url('file://...')`, `INTO OUTFILE`,
`FROM INFILE`, `sqlite()`, `executable()` ... reach any path the process can (it ignores
`user_files_path`). clickhouse-server confines file functions to `user_files_path` and refuses
INTO OUTFILE over HTTP; this module gives the embedded server the same rule, for every HTTP
method, by looking at the query text before the engine sees it (`querytext.analyze`):

- `file(path, ...)` (table function, scalar function, `INSERT INTO FUNCTION`) and
  `fileCluster` are allowed when `path` is one plain string literal that stays inside the
  user-files directory; a relative path is rewritten to the absolute one (the engine would
  resolve it against its working directory). Globs (`*`, `?`, `{a,b}`, `{1..9}`) are kept.
- refused outright: INTO OUTFILE, FROM INFILE, `ATTACH ... FROM 'path'`, BACKUP/RESTORE,
  functions and engines that read local paths or run programs (list below), `url()` with a
  `file:` scheme or a non-literal URL, and the settings that name schema/template files.

Anything this check cannot read with certainty (a computed path, an escape sequence, an
unterminated literal) is refused rather than guessed at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from runwatch.server.embedded.errors import EngineError
from runwatch.server.embedded.querytext import QueryShape, Token

CONFINED = frozenset({"file", "filecluster"})
REFUSED_CALLS = frozenset({
    "filesystem", "executable", "executablepool", "python", "sqlite", "filelog",
    "iceberglocal", "iceberglocalcluster", "deltalakelocal", "paimonlocal", "hudilocal",
    "hdfs", "hdfscluster",
})
URL_CALLS = frozenset({"url", "urlcluster"})
FILE_SETTINGS = frozenset({"format_schema", "format_template_row", "format_template_resultset",
                           "format_schema_source"})
REFUSED_STATEMENTS = frozenset({"BACKUP", "RESTORE"})
_RANGE = re.compile(r"\{\d+\.\.\d+\}")  # a numeric glob range, not a parent directory


def _denied(text: str) -> EngineError:
    return EngineError.named("DATABASE_ACCESS_DENIED", text)


class FilePolicy:
    """The user-files rule for one server (`root` is created by the engine at open)."""

    watched = CONFINED | REFUSED_CALLS | URL_CALLS  # the calls `analyze` must report

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))

    def check_settings(self, names: Iterable[str]) -> None:
        for name in names:
            if name.lower() in FILE_SETTINGS:
                raise _denied(f"Setting {name} names a file and is not allowed by the embedded server")

    def apply(self, sql: str, shape: QueryShape) -> str:
        """`sql` with every confined path made absolute, or EngineError when it may touch a
        file outside the user-files directory."""
        if shape.keywords & {"OUTFILE", "INFILE"}:
            raise _denied("INTO OUTFILE and FROM INFILE are not allowed by the embedded server; "
                          f"use file() with a path under {self.root}")
        if shape.attach_from_path or shape.first_keyword in REFUSED_STATEMENTS:
            raise _denied(f"{shape.first_keyword} with a file path is not allowed by the embedded server")
        self.check_settings(k.lower() for k in shape.keywords)
        if shape.too_many_calls:
            raise _denied("Too many file, url or similar calls in one query")
        rewrites: list[tuple[Token, str]] = []
        for call in shape.calls:
            if call.name in REFUSED_CALLS:
                raise _denied(f"{call.name}() is not allowed by the embedded server")
            if call.name in URL_CALLS:
                target = _literal(call.first_arg)
                if target is None or target.lstrip().lower().startswith("file:"):
                    raise _denied("url() needs a literal http(s) URL in the embedded server")
            elif call.name in CONFINED:
                path = self._confine(call.first_arg)
                assert call.first_arg is not None  # _confine refuses a missing literal
                rewrites.append((call.first_arg, path))
        out = sql
        for token, path in sorted(rewrites, key=lambda r: r[0].start, reverse=True):
            out = out[:token.start] + _quote(path) + out[token.end:]
        return out

    def _confine(self, arg: Token | None) -> str:
        path = _literal(arg)
        if path is None:
            raise _denied(f"file() needs its path as one string literal, under {self.root}")
        if "\x00" in path or any(".." in _RANGE.sub("", part) for part in path.split("/")):
            raise _denied(f"File path {path!r} may not contain '..'")
        absolute = os.path.normpath(os.path.join(self.root, path))
        if not (absolute == str(self.root) or absolute.startswith(str(self.root) + os.sep)):
            raise _denied(f"File {path!r} is not inside {self.root}")
        return absolute


def _literal(token: Token | None) -> str | None:
    """The value of a plain '...' literal; None for anything else, or one with escapes
    (whose value the engine computes: '\\x2e\\x2e' is '..')."""
    if token is None or token.kind != "string" or not token.text.startswith("'"):
        return None
    body = token.text[1:-1]
    if "\\" in body:
        return None
    return body.replace("''", "'")


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"
