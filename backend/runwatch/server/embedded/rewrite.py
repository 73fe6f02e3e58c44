"""What the engine cannot know about a request, written into the statement it runs (pure).

chDB has one user and gives every query an id of its own, while a client of the HTTP
interface expects `currentUser()` to be the name it authenticated with and
`system.processes` to list its queries under the `query_id` it sent. So:

- every statement goes to the engine behind a marker comment naming a unique run, the
  client's query id and user (hex, so no text of theirs can close the comment). The marker
  is how the server cancels the run (`KILL QUERY WHERE startsWith(query, marker)`) and how
- `system.processes` in a query is read through a view that takes the query id, user and
  query text from the marker (`client_processes`); queries the engine started itself keep
  theirs;
- `currentUser()` (and its aliases `user()`, `current_user()`) becomes the user's name as a
  literal. Not in CREATE/ALTER/ATTACH: a view's definition would keep one caller's name for
  everyone (there the engine's own `default` is what comes back).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from runwatch.server.embedded import querytext

MARKER_PREFIX = "/* runwatch-query "
_CURRENT_USER = frozenset({"currentuser", "user", "current_user"})
_DEFINITIONS = frozenset({"CREATE", "ALTER", "ATTACH"})
_SHOW_PROCESSLIST = re.compile(r"^\s*SHOW\s+PROCESSLIST\b", re.I)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def marker(query_id: str, user: str) -> str:
    """`/* runwatch-query <run> <query id, hex> <user, hex> */`, unique per run."""
    return (f"{MARKER_PREFIX}{uuid.uuid4().hex} {query_id.encode('utf-8', 'replace').hex()} "
            f"{user.encode('utf-8', 'replace').hex()} */")


def _from_marker(field: int, otherwise: str) -> str:
    return (f"if(startsWith(query, {_quote(MARKER_PREFIX)}), "
            f"unhex(splitByChar(' ', query, 6)[{field}]), {otherwise})")


PROCESSES_VIEW = (
    "(SELECT * REPLACE ("
    f"{_from_marker(4, 'query_id')} AS query_id, "
    f"{_from_marker(4, 'initial_query_id')} AS initial_query_id, "
    f"{_from_marker(5, 'user')} AS user, "
    f"{_from_marker(5, 'initial_user')} AS initial_user, "
    f"if(startsWith(query, {_quote(MARKER_PREFIX)}), substring(query, position(query, ' */ ') + 4), query) AS query"
    ") FROM system.processes)"
)


def _code(sql: str) -> Iterator[tuple[str, int, int]]:
    for kind, start, end in querytext.lexemes(sql):
        if kind != "comment":
            yield kind, start, end


def _name(sql: str, kind: str, start: int, end: int) -> str | None:
    if kind == "word":
        return sql[start:end]
    if kind == "quoted":
        return sql[start + 1:end - 1]
    return None


def _splice(sql: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, text in spans:
        out.append(sql[pos:start])
        out.append(text)
        pos = end
    out.append(sql[pos:])
    return "".join(out)


def with_current_user(sql: str, user: str, first_keyword: str) -> str:
    if first_keyword in _DEFINITIONS or "user" not in sql.lower():
        return sql
    lexemes = list(_code(sql))
    spans = []
    for i in range(len(lexemes) - 2):
        kind, start, end = lexemes[i]
        if kind != "word" or sql[start:end].lower() not in _CURRENT_USER:
            continue
        if i > 0 and sql[lexemes[i - 1][1]:lexemes[i - 1][2]] == ".":
            continue  # a column or function of some database, not the built-in
        (k1, s1, e1), (k2, s2, e2) = lexemes[i + 1], lexemes[i + 2]
        if k1 == "punct" and sql[s1:e1] == "(" and k2 == "punct" and sql[s2:e2] == ")":
            spans.append((start, e2, _quote(user)))
    return _splice(sql, spans) if spans else sql


def client_processes(sql: str) -> str:
    """`sql` with each `system.processes` table read through PROCESSES_VIEW (and
    SHOW PROCESSLIST, the engine's shorthand for it, spelled out)."""
    if "processes" not in sql.lower() and "processlist" not in sql.lower():
        return sql
    match = _SHOW_PROCESSLIST.match(sql)
    if match is not None:
        sql = "SELECT * FROM system.processes" + sql[match.end():]
    lexemes = list(_code(sql))
    spans = []
    for i in range(len(lexemes) - 2):
        (k0, s0, e0), (_, s1, e1), (k2, s2, e2) = lexemes[i], lexemes[i + 1], lexemes[i + 2]
        if (_name(sql, k0, s0, e0) == "system" and sql[s1:e1] == "." and _name(sql, k2, s2, e2) == "processes"
                and not (i > 0 and sql[lexemes[i - 1][1]:lexemes[i - 1][2]] == ".")):
            spans.append((s0, e2, PROCESSES_VIEW))
    return _splice(sql, spans) if spans else sql


def for_engine(sql: str, user: str, first_keyword: str) -> str:
    """Both rewrites (a pass over the text: the caller keeps a long one off the event loop)."""
    return client_processes(with_current_user(sql, user, first_keyword))
