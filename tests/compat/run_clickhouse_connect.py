"""clickhouse-connect's own integration suite against the embedded server (`make test-compat`).

The suite is not ours and is not in this repository (nor in clickhouse-connect's sdists):
point RUNWATCH_CHC_TESTS at the `tests/` directory of a clickhouse-connect checkout at the
tag of the installed client (see README, "Compatibility"). This script starts a fresh
embedded server, runs the suite in `.venv-compat` (the client and the suite's own test
dependencies, apart from ours), leaves out the tests listed in clickhouse_connect_skips.txt
(each with its reason) and fails unless every other test passes; it reports the share
passed of the tests not on the list and of all collected.

    python tests/compat/run_clickhouse_connect.py [--suite PATH] [-k EXPR] [--no-skips]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.clickhouse import EmbeddedClickHouse  # noqa: E402

SKIPS = Path(__file__).with_name("clickhouse_connect_skips.txt")
COMPAT_PYTHON = REPO_ROOT / ".venv-compat" / "bin" / "python"


def read_skips(path: Path) -> dict[str, str]:
    """`test id | reason` per line; blank lines and `#` comments ignored."""
    skips: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, sep, reason = line.partition(" | ")
        if not sep or not reason.strip():
            raise SystemExit(f"{path}: every skip needs a reason: {line!r}")
        skips[test_id.strip()] = reason.strip()
    return skips


def suite_root(given: str | None) -> Path:
    path = Path(given or os.environ.get("RUNWATCH_CHC_TESTS", "")).expanduser()
    if not str(path) or not path.exists():
        raise SystemExit("RUNWATCH_CHC_TESTS must name the tests/ directory of a clickhouse-connect "
                         "checkout (README: Compatibility)")
    path = path.resolve()
    root = path.parent if (path / "integration_tests").is_dir() else path
    if not (root / "tests" / "integration_tests").is_dir():
        raise SystemExit(f"{path}: no tests/integration_tests here")
    return root


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", help="clickhouse-connect's tests/ (default: $RUNWATCH_CHC_TESTS)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    parser.add_argument("--no-skips", action="store_true", help="run the listed tests too")
    parser.add_argument("--python", default=str(COMPAT_PYTHON))
    args = parser.parse_args()
    root = suite_root(args.suite)
    skips = {} if args.no_skips else read_skips(SKIPS)
    with tempfile.TemporaryDirectory(prefix="runwatch-compat-") as tmp:
        server = EmbeddedClickHouse(Path(tmp) / "data").start()
        try:
            report = Path(tmp) / "junit.xml"
            argv = [args.python, "-m", "pytest", "tests/integration_tests", "-p", "no:cacheprovider",
                    "-o", "addopts=", "-o", "log_cli=false", "-q", "-rfE", f"--junitxml={report}"]
            argv += [f"--deselect={test_id}" for test_id in skips]
            if args.keyword:
                argv += ["-k", args.keyword]
            env = dict(os.environ, CLICKHOUSE_CONNECT_TEST_HOST="localhost",
                       CLICKHOUSE_CONNECT_TEST_PORT=str(server.port), TZ="UTC")
            code = subprocess.run(argv, cwd=root, env=env, check=False).returncode
        finally:
            server.stop()
        return summarize(report, skips, code)


def summarize(report: Path, skips: dict[str, str], code: int) -> int:
    if not report.exists():
        print(f"the suite did not run (pytest exit {code})")
        return code or 1
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    total = int(suite.get("tests", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))  # by the suite itself (cloud-only, docker-only ...)
    passed = total - failed - skipped
    print(summary_line(passed, failed, skipped, len(skips)))
    return 0 if failed == 0 and code in (0, 5) else 1


def summary_line(passed: int, failed: int, skipped: int, listed: int) -> str:
    """Both rates: of the tests not on the skip list (the gate: all of them must pass) and
    of every test collected (skip list and the suite's own skips included)."""
    ran, collected = passed + failed, passed + failed + skipped + listed
    return (f"clickhouse-connect suite: {passed} passed, {failed} failed, {skipped} skipped by the suite, "
            f"{listed} on the skip list; passed / not skip-listed: {passed}/{ran} = {_rate(passed, ran)}; "
            f"passed / all collected: {passed}/{collected} = {_rate(passed, collected)}")


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


if __name__ == "__main__":
    sys.exit(main())
