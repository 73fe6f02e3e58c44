"""Pure parts of the alerts: the TOML format and its errors, rule evaluation on poll rows,
and the channel payloads."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runwatch.server.alerts.config import AlertsConfigError, load_alerts, parse_alerts
from runwatch.server.alerts.evaluator import Evaluator
from runwatch.server.alerts.model import Alert
from runwatch.server.alerts.payloads import webhook
from runwatch.server.alerts.rules import parse_duration

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
[[channel]]
name = "ops"
type = "webhook"            # or "slack", "discord"
url = "http://127.0.0.1:9999/hook"

[[rule]]
name = "loss-nan"
kind = "nonfinite"
metric = "train/loss*"
channels = ["ops"]
"""


def test_the_minimal_form_from_the_issue_works_as_written() -> None:
    config = parse_alerts(MINIMAL)
    rules = {r.name: r for r in config.effective_rules()}
    assert rules["loss-nan"].metric == ("train/loss*",) and rules["loss-nan"].channels == ("ops",)
    assert "run-crashed" in rules and rules["run-crashed"].channels == ()  # defaults: dashboard


def test_the_example_file_in_the_repository_is_valid() -> None:
    config = load_alerts(REPO / "alerts.example.toml")
    assert config.channels and config.rules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]\n", "not valid TOML"),
        ('[[rule]]\nname = "x"\nkind = "nope"\n', "rule[0] (x).kind: Input should be"),
        ('[[rule]]\nname = "x"\nkind = "threshold"\nmetric = "a"\n', "needs a numeric `threshold`"),
        ('[[rule]]\nname = "x"\nkind = "nonfinite"\n', "needs `metric`"),
        ('[[rule]]\nname = "x"\nkind = "nonfinite"\nmetric = "a"\nchannels = ["ops"]\n',
         "unknown channel(s) ops"),
        ('[[channel]]\nname = "a"\ntype = "sms"\nurl = "http://x"\n', "channel[0] (a).type"),
        ('[[channel]]\nname = "a"\ntype = "slack"\nurl = "ftp://x"\n', "channel[0] (a).url"),
        ('[[rule]]\nname = "x"\nkind = "stalled"\nfor = "soon"\n', "not a duration"),
        ('[[rule]]\nname = "x"\nkind = "stalled"\ncolour = 1\n', "colour: Extra inputs"),
        ('[[rule]]\nname = "x"\nkind = "stalled"\n[[rule]]\nname = "x"\nkind = "stalled"\n',
         "defined twice"),
    ],
)
def test_bad_files_are_refused_with_a_readable_message(text: str, message: str) -> None:
    with pytest.raises(AlertsConfigError, match="^f.toml: ") as caught:
        parse_alerts(text, "f.toml")
    assert message in str(caught.value)


@pytest.mark.parametrize(("value", "seconds"), [
    (60, 60.0), (1.5, 1.5), ("60", 60.0), ("60s", 60.0), ("5m", 300.0), ("1h", 3600.0),
    ("500ms", 0.5),
])
def test_parse_duration(value: Any, seconds: float) -> None:
    assert parse_duration(value) == seconds


def test_a_project_rule_replaces_the_global_one_for_that_project_only() -> None:
    config = parse_alerts("""
[[rule]]
name = "hot"
kind = "threshold"
metric = "t"
threshold = 80
[[rule]]
name = "hot"
kind = "threshold"
metric = "t"
threshold = 95
project = "big"
""")
    hot = [r for r in config.effective_rules() if r.name == "hot"]
    evaluator = Evaluator(hot)
    got = evaluator.points(_rows([("small", "t", 0, 90.0), ("big", "t", 0, 90.0)]),
                           {"small": "small", "big": "big"})
    assert [(s.run_id, s.active) for s in got] == [("small", True)]


def _rows(points: list[tuple[str, str, int, float]], device: int = 65535) -> Any:
    dtype = [("run_id", object), ("metric", object), ("host", object), ("rank", np.uint32),
             ("device", np.uint16), ("unit", object), ("step", np.uint64), ("t", np.int64),
             ("value", np.float64), ("ing", np.int64)]
    ordered = sorted(points, key=lambda p: (p[0], p[1], p[2]))
    return np.array([(run, metric, "h", 0, device, "", step, 1000 * step, value, 1000 * step)
                     for run, metric, step, value in ordered], dtype=dtype)


RULES = parse_alerts("""
[settings]
defaults = false
[[rule]]
name = "nan"
kind = "nonfinite"
metric = "loss"
[[rule]]
name = "hot"
kind = "threshold"
metric = "temp"
threshold = 85
for = "2s"
[[rule]]
name = "spike"
kind = "spike"
metric = "loss"
k = 5
window = 10
min_points = 5
""").effective_rules()


@pytest.mark.parametrize(
    ("polls", "expected"),
    [
        # one poll per list; (rule, active, step) of each signal, in order
        ([[("loss", 0, 1.0), ("loss", 1, math.nan)]], [("nan", True, 1)]),
        ([[("loss", 0, math.nan)], [("loss", 1, math.nan)], [("loss", 2, 0.5)]],
         [("nan", True, 0), ("nan", False, 2)]),
        ([[("temp", 0, 90.0), ("temp", 1, 90.0)], [("temp", 2, 91.0), ("temp", 3, 80.0)]],
         [("hot", True, 2), ("hot", False, 3)]),
        ([[("temp", 0, 90.0), ("temp", 1, 80.0), ("temp", 2, 90.0), ("temp", 3, 90.0)]], []),
        ([[("loss", s, 1.0 + 0.01 * (s % 3)) for s in range(8)], [("loss", 8, 50.0)],
          [("loss", 9, 1.01)]],
         [("spike", True, 8), ("spike", False, 9)]),
    ],
)
def test_evaluator_signals_only_changes(polls: list[list[tuple[str, int, float]]],
                                        expected: list[tuple[str, bool, int]]) -> None:
    evaluator = Evaluator(RULES)
    got = []
    for poll in polls:
        got += evaluator.points(_rows([("r", m, s, v) for m, s, v in poll]), {"r": "p"})
    assert [(s.rule.name, s.active, s.step) for s in got] == expected


def test_webhook_payload_names_non_finite_values() -> None:
    for value, label in ((math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"),
                         (2.5, 2.5)):
        alert = Alert(rule="r", kind="nonfinite", run_id="run", series="s", fired_at_ms=1,
                      message="m", metric="train/loss", step=3, value=value)
        body = webhook(alert)
        assert {k: body[k] for k in ("rule", "kind", "state", "run_id", "metric", "step",
                                     "value", "message")} == {
            "rule": "r", "kind": "nonfinite", "state": "firing", "run_id": "run",
            "metric": "train/loss", "step": 3, "value": label, "message": "m"}


def test_series_of_one_metric_on_several_hosts_fire_and_resolve_on_their_own() -> None:
    """A run on two hosts logs the same metric (device and rank too): an active alert
    belongs to one series, and only that series' own points can resolve it."""
    dtype = [("run_id", object), ("metric", object), ("host", object), ("rank", np.uint32),
             ("device", np.uint16), ("unit", object), ("step", np.uint64), ("t", np.int64),
             ("value", np.float64), ("ing", np.int64)]

    def poll(step: int, values: dict[tuple[str, int], float]) -> Any:
        return np.array([("r", "temp", host, rank, rank, "", step, 1000 * step, value, 1000 * step)
                         for (host, rank), value in sorted(values.items())], dtype=dtype)

    hot = parse_alerts('[settings]\ndefaults = false\n[[rule]]\nname = "hot"\nkind = "threshold"\n'
                       'metric = "temp"\nthreshold = 85\n').effective_rules()
    evaluator = Evaluator(hot)
    series = [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    first = evaluator.points(poll(1, {s: 90.0 if s == ("b", 1) else 50.0 for s in series}), {"r": "p"})
    assert [(s.host, s.rank, s.active) for s in first] == [("b", 1, True)]
    # every other series is cool; the firing one stays hot: nothing changes
    assert evaluator.points(poll(2, {s: 90.0 if s == ("b", 1) else 40.0 for s in series}), {"r": "p"}) == []
    # another series heats up while the first cools down: one fires, the other resolves
    third = evaluator.points(poll(3, {s: 90.0 if s == ("a", 1) else 40.0 for s in series}), {"r": "p"})
    assert sorted((s.host, s.rank, s.active) for s in third) == [("a", 1, True), ("b", 1, False)]
