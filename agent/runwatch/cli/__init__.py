"""The `runwatch` command: one entry point, one module per subcommand family.

Each family registers its own subparser (`register(subparsers)`) and handler, and imports its
heavy dependencies only when it runs, so `runwatch agent` works on a training box that has only
the agent's light dependencies installed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from runwatch.cli import agent as agent_cli
    from runwatch.importers import cli as import_cli
    from runwatch.server.commands import admin as admin_cli
    from runwatch.server.commands import alerts as alerts_cli
    from runwatch.server.commands import demo, export, logs, serve, supervisor
    from runwatch.server.embedded import cli as embedded_cli

    parser = argparse.ArgumentParser(
        prog="runwatch",
        description="Live observability for ML training, stored in ClickHouse.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    supervisor.register(subparsers)
    serve.register(subparsers)
    embedded_cli.register(subparsers)
    admin_cli.register(subparsers)
    agent_cli.register(subparsers)
    demo.register(subparsers)
    import_cli.register(subparsers)
    logs.register(subparsers)
    export.register(subparsers)
    alerts_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        # A training box may have only the agent's dependencies (`pip install runwatch`).
        extra = "embedded" if args.command in ("clickhouse", "up") else "server"
        print(f"runwatch {args.command}: needs the '{extra}' extra ({exc}); "
              f"install it with: pip install 'runwatch[{extra}]'", file=sys.stderr)
        return 2
    except ValueError as exc:
        # SettingsError (a bad CH_* value or option); imported lazily with pydantic.
        if type(exc).__name__ != "SettingsError":
            raise
        print(f"runwatch: invalid setting: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
