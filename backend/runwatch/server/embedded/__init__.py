"""The embedded ClickHouse server: chDB served on the ClickHouse HTTP interface.

`serve(data_dir, host, port, user, password)` blocks until SIGINT/SIGTERM; the CLI is
`runwatch clickhouse` / `python -m runwatch.server.embedded`.

Modules: engine (chDB connections), leases (which connection a request runs on),
sessions (session_id), options (URL parameters), querytext (where INSERT data starts,
output format, GET read-only rule), compression (Content-Encoding both ways), errors
(codes and HTTP statuses), handler (the query endpoint), http_app (the Starlette app),
server (uvicorn), cli.

Where it differs from clickhouse-server, knowingly:
- results are buffered, as with wait_end_of_query=1 (no progress headers, no streaming of
  huge results); a query is not cancelled when its client disconnects;
- query_id is echoed in X-ClickHouse-Query-Id but chDB assigns its own ids
  (system.processes, KILL QUERY use those);
- compress=1/decompress=1 (ClickHouse block compression) and external data (file fields
  of multipart requests) are refused with NOT_IMPLEMENTED; HTTP Content-Encoding and
  enable_http_compression cover what clickhouse-connect and curl use;
- settings the engine does not know are logged once and ignored (the server answers
  UNKNOWN_SETTING); a session's URL settings are applied with SET and restored after
  the request; its `database` parameter is applied with USE and persists in the session;
- one optional user (--user/--password) instead of users.xml; no TLS, no quotas.
"""

from __future__ import annotations

from typing import Any


def serve(*args: Any, **kwargs: Any) -> None:
    from runwatch.server.embedded.server import serve as _serve

    _serve(*args, **kwargs)


__all__ = ["serve"]
