"""`runwatch serve`: the dashboard server (uvicorn) against the ClickHouse of CH_*.

The schema is applied at startup (settings.apply_schema), by the poller on its first contact
with ClickHouse, so the server starts — and reports `degraded` on /health — while ClickHouse
is still down, and catches up once it answers.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="the live dashboard server (against CH_*)")
    serve.add_argument("--host", default=None, help="address to bind (default RUNWATCH_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default RUNWATCH_PORT or 8000)")
    serve.add_argument("--poll-interval", type=float, default=None, dest="poll_interval",
                       help="seconds between metrics polls (default POLL_INTERVAL_SEC or 1.0)")
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from runwatch.server.api.app import create_app
    from runwatch.server.query.clickhouse import describe
    from runwatch.server.settings import Settings, SettingsError, load_settings

    try:
        settings = load_settings(Settings, server_host=args.host, server_port=args.port,
                                 poll_interval_sec=args.poll_interval)
    except SettingsError as exc:
        sys.stderr.write(f"runwatch serve: {exc}\n")
        return 2
    from runwatch.server.alerts.config import AlertsConfigError, load_alerts

    try:
        load_alerts(settings.alerts_file)  # a bad alerts file stops the start, in one line
    except AlertsConfigError as exc:
        sys.stderr.write(f"runwatch serve: {exc}\n")
        return 2
    import logging

    logging.getLogger(__name__).info(
        "dashboard on http://%s:%d, ClickHouse %s", settings.server_host, settings.server_port,
        describe(settings))
    from runwatch.server.http_limits import uvicorn_options

    uvicorn.run(create_app(settings), host=settings.server_host, port=settings.server_port,
                log_level="info", timeout_graceful_shutdown=5, **uvicorn_options())
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m runwatch.server.commands.serve`: the same as `runwatch serve`, without the other commands."""
    import logging

    parser = argparse.ArgumentParser(prog="python -m runwatch.server.commands.serve")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", *(argv if argv is not None else sys.argv[1:])])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
