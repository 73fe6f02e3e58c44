"""`runwatch alerts test` and `runwatch alerts check`, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.receiver import Receiver

REPO = Path(__file__).resolve().parents[2]


def _runwatch(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWATCH_")}
    return subprocess.run([sys.executable, "-m", "runwatch", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_alerts_test_sends_a_test_message_to_each_channel(tmp_path: Path) -> None:
    with Receiver(statuses={"/down": 500}) as receiver:
        path = tmp_path / "alerts.toml"
        path.write_text(f"""
[[channel]]
name = "ops"
type = "webhook"
url = "{receiver.url('/hook')}"
[[channel]]
name = "chat"
type = "slack"
url = "{receiver.url('/slack')}"
[[channel]]
name = "gaming"
type = "discord"
url = "{receiver.url('/discord')}"
[[channel]]
name = "down"
type = "webhook"
url = "{receiver.url('/down')}"
retries = 0
""")
        result = _runwatch("alerts", "test", "--file", str(path))
        assert result.returncode == 1, result.stderr  # one channel failed
        lines = result.stdout.splitlines()
        assert [line.split(" ")[0] for line in lines] == ["ops", "chat", "gaming", "down"]
        assert lines[0].endswith(": ok") and "FAILED (HTTP 500" in lines[3]
        hook = receiver.posts("/hook")[0].body
        assert hook["test"] is True and hook["rule"] == "runwatch-test" and hook["value"] == "NaN"
        assert "blocks" in receiver.posts("/slack")[0].body
        assert receiver.posts("/discord")[0].body["embeds"][0]["footer"]["text"].endswith("test message")


def test_alerts_check_names_the_bad_field_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[[rule]]\nname = "hot"\nkind = "threshold"\nmetric = "t"\nop = "~"\nthreshold = 1\n')
    result = _runwatch("alerts", "check", "--file", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"runwatch alerts: {path}: rule[0] (hot).op: Input should be")


def test_alerts_check_lists_the_example_files_rules() -> None:
    result = _runwatch("alerts", "check", "--file", str(REPO / "alerts.example.toml"))
    assert result.returncode == 0, result.stderr
    assert "loss-nan (nonfinite): train/loss* is NaN/Inf → ops, team-slack" in result.stdout
    assert "stalled (stalled) [project llm-pretrain*]: no training point for 3600s → dashboard only" in result.stdout
