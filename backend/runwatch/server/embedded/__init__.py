"""The embedded ClickHouse server: chDB served on the ClickHouse HTTP interface.

`serve(data_dir, host, port, user, password)` blocks until SIGINT/SIGTERM; the CLI is
`runwatch clickhouse` / `python -m runwatch.server.embedded`.

Modules: engine (chDB connections), leases (which connection a request runs on),
sessions (session_id), options (URL parameters), querytext (where INSERT data starts,
output format, GET read-only rule), rewrite (currentUser(), the client's query ids),
compression (Content-Encoding both ways), errors (codes and HTTP statuses), handler (the
query endpoint), streaming (result sets on the wire), processes (running queries by the
client's id), external (external data), http_app (the Starlette app), server (uvicorn), cli.

Where it differs from clickhouse-server, knowingly:
- chDB assigns query ids of its own and has one user: the server marks each statement with
  the client's query_id and user and reads `system.processes` through them (rewrite.py),
  `currentUser()` is the authenticated user (not inside CREATE/ALTER/ATTACH);
  `system.query_log` does not exist;
- settings the engine does not know are logged once and ignored (the server answers
  UNKNOWN_SETTING); a session's URL settings are applied with SET and restored after
  the request; its `database` parameter is applied with USE and persists in the session;
- Native output is the engine's at client protocol revision 0 whatever
  `client_protocol_version` asks (clients then read it as such);
- one optional user (--user/--password) instead of users.xml; no TLS, no quotas.
"""

from __future__ import annotations

from typing import Any


def serve(*args: Any, **kwargs: Any) -> None:
    from runwatch.server.embedded.server import serve as _serve

    _serve(*args, **kwargs)


__all__ = ["serve"]
