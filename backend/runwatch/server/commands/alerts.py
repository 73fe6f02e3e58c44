"""`runwatch alerts test` / `runwatch alerts check`: try the channels, validate the file."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def register(subparsers: Any) -> None:
    alerts = subparsers.add_parser("alerts", help="alert rules and notification channels")
    verbs = alerts.add_subparsers(dest="alerts_command", metavar="VERB", required=True)
    test = verbs.add_parser("test", help="send a test message to each channel of RUNWATCH_ALERTS_FILE")
    test.add_argument("--file", help="the alerts file (default RUNWATCH_ALERTS_FILE)")
    test.add_argument("--channel", action="append", help="only this channel (repeatable)")
    test.set_defaults(handler=run_test)
    check = verbs.add_parser("check", help="validate the alerts file and list the rules")
    check.add_argument("--file", help="the alerts file (default RUNWATCH_ALERTS_FILE)")
    check.set_defaults(handler=run_check)


def _config(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from runwatch.server.alerts.config import AlertsConfigError, load_alerts
    from runwatch.server.settings import Settings, SettingsError, load_settings

    try:
        path = Path(args.file) if args.file else load_settings(Settings).alerts_file
        return load_alerts(path), path
    except (SettingsError, AlertsConfigError) as exc:
        sys.stderr.write(f"runwatch alerts: {exc}\n")
        raise SystemExit(2) from None


def run_check(args: argparse.Namespace) -> int:
    config, path = _config(args)
    print(f"{path or '(no file: built-in rules)'}: {len(config.channels)} channels")
    for rule in config.effective_rules():
        scope = f" [project {rule.project}]" if rule.project else ""
        channels = "every channel" if rule.channels is None else ", ".join(rule.channels) or "dashboard only"
        print(f"  {rule.name} ({rule.kind}){scope}: {rule.describe()} → {channels}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from runwatch.server.alerts.model import Alert
    from runwatch.server.alerts.notifier import ChannelWorker, Job

    config, path = _config(args)
    channels = [c for c in config.channels if not args.channel or c.name in args.channel]
    if not channels:
        sys.stderr.write(f"runwatch alerts test: no channels in {path or 'the configuration'}\n")
        return 2
    alert = Alert(rule="runwatch-test", kind="test", run_id="test-run", series="",
                  fired_at_ms=int(time.time() * 1000), severity="info", metric="train/loss",
                  step=0, value=float("nan"),
                  message="Test notification from `runwatch alerts test`: this channel works.")
    failed = 0
    for channel in channels:
        worker = ChannelWorker(channel, None, "")
        try:
            ok = worker.deliver(Job(alert, test=True))
        finally:
            worker.stop(1.0)
        status = "ok" if ok else f"FAILED ({worker.stats.last_error})"
        print(f"{channel.name} ({channel.type}, {channel.url}): {status}")
        failed += not ok
    return 1 if failed else 0
