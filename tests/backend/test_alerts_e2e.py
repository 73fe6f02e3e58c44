"""Alerts end to end: the real agent logs into the embedded ClickHouse, the dashboard server
evaluates its rules on what it polls, and a real local HTTP receiver records what is sent."""

from __future__ import annotations

import datetime as dt
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwatch import Run
from runwatch.server.migrate import apply_schema
from runwatch.system.nvml_collector import NvmlCollector
from tests.agent.fake_pynvml import FakeGpu, FakePynvml
from tests.backend.helpers import LiveServer, SSEReader, settings_for
from tests.support.clickhouse import EmbeddedClickHouse
from tests.support.receiver import Receiver
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]

ALERTS_TOML = """
[settings]
throttle_sec = 300

[[channel]]
name = "ops"
type = "webhook"
url = "{hook}"

[[channel]]
name = "team-slack"
type = "slack"
url = "{slack}"

[[channel]]
name = "team-discord"
type = "discord"
url = "{discord}"

[[channel]]
name = "broken"
type = "webhook"
url = "{broken}"
retries = 3
backoff_sec = 0.2

[[channel]]
name = "hanging"
type = "webhook"
url = "{hang}"
timeout_sec = 30
retries = 0

[[rule]]
name = "loss-nan"
kind = "nonfinite"
metric = "train/loss*"
channels = ["broken", "hanging", "ops", "team-slack", "team-discord"]

[[rule]]
name = "gpu-hot"
kind = "threshold"
metric = "sys.gpu.*.temperature_celsius"
op = ">"
threshold = 85
channels = ["ops"]
throttle_sec = 0

[[rule]]
name = "stalled"              # for the stalled test's project only: the others keep 300 s
kind = "stalled"
for = "2s"
project = "stall*"
channels = ["ops"]

[[rule]]
name = "run-crashed"
kind = "run_crashed"
channels = ["ops"]

[[rule]]
name = "run-failed"
kind = "run_failed"
channels = ["ops"]

[[rule]]
name = "flappy"
kind = "threshold"
metric = "flap/x"
threshold = 1
channels = ["ops"]
throttle_sec = 60
"""


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError: the agent classifies it by name."""


@pytest.fixture(scope="module")
def alerts_db(clickhouse_server: EmbeddedClickHouse) -> Iterator[str]:
    name = f"test_alerts_{uuid.uuid4().hex[:8]}"
    client = clickhouse_server.client()
    apply_schema(client, name)
    try:
        yield name
    finally:
        client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
        client.close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver(statuses={"/fail": 500}, hang={"/hang": 20}) as r:
        yield r


@pytest.fixture(scope="module")
def alerts_file(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Path:
    path = tmp_path_factory.mktemp("alerts") / "alerts.toml"
    path.write_text(ALERTS_TOML.format(hook=receiver.url("/hook"), slack=receiver.url("/slack"),
                                       discord=receiver.url("/discord"),
                                       broken=receiver.url("/fail"), hang=receiver.url("/hang")))
    return path


def _settings(server: EmbeddedClickHouse, db: str, alerts_file: Path) -> Any:
    return settings_for(server, db, alerts_file=alerts_file, runs_poll_interval_sec=0.5,
                        crash_after_sec=1.5)


@pytest.fixture(scope="module")
def live(clickhouse_server: EmbeddedClickHouse, alerts_db: str,
         alerts_file: Path) -> Iterator[LiveServer]:
    with LiveServer(_settings(clickhouse_server, alerts_db, alerts_file)) as server:
        server.wait_backfilled()
        yield server


@pytest.fixture
def make_run(clickhouse_server: EmbeddedClickHouse, alerts_db: str,
             tmp_path: Path) -> Iterator[Any]:
    runs: list[Run] = []

    def factory(**kwargs: Any) -> Run:
        kwargs.setdefault("system_metrics", False)
        kwargs.setdefault("flush_interval", 0.05)
        kwargs.setdefault("heartbeat_interval", 0.3)
        run = Run(project=kwargs.pop("project", "vision"), host=clickhouse_server.host,
                  port=clickhouse_server.port, database=alerts_db,
                  run_id=kwargs.pop("run_id", f"run-{uuid.uuid4().hex[:8]}"),
                  spool_dir=tmp_path / "spool", environ={}, **kwargs)
        runs.append(run)
        return run

    yield factory
    for run in runs:
        run.finish()


def _alerts(live: LiveServer, **params: Any) -> list[dict[str, Any]]:
    response = live.get("/alerts", **params)
    assert response.status_code == 200, response.text
    alerts: list[dict[str, Any]] = response.json()["alerts"]
    return alerts


def test_nan_loss_posts_one_webhook_within_5s_with_run_rule_metric_step_value(
    live: LiveServer, receiver: Receiver, make_run: Any
) -> None:
    run = make_run()
    with SSEReader(live.url) as sse:
        sse.next(10, name="snapshot")
        for step in range(10):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
        run.log({"train/loss": math.nan}, step=10)
        assert run.flush(10)
        stored = time.monotonic()
        post = wait_for(lambda: receiver.posts("/hook", run_id=run.run_id, rule="loss-nan"), 5,
                        "the webhook POST")[0]
        assert post.at - stored < 5.0
        body = post.body
        assert (body["rule"], body["kind"], body["state"]) == ("loss-nan", "nonfinite", "firing")
        assert (body["run_id"], body["metric"], body["step"], body["value"]) == (
            run.run_id, "train/loss", 10, "NaN")
        assert "NaN" in body["message"] and body["project"] == "vision"
        event = sse.next(10, name="alert")
        assert event.data["run_id"] == run.run_id and event.data["state"] == "firing"

    # more NaN in the same series: still the one firing alert, no second POST
    run.log({"train/loss": math.nan}, step=11)
    assert run.flush(10)
    live.settle()
    # the poller kept its pace although one channel answers 500 and another hangs
    before = live.runtime.poller.status().cycles
    time.sleep(1.0)
    assert live.runtime.poller.status().cycles - before >= 3
    nonfinite = receiver.posts("/hook", run_id=run.run_id, kind="nonfinite")
    assert len(nonfinite) == 1  # loss-nan; the built-in loss-nonfinite notifies no channel
    firing = {a["rule"]: a for a in _alerts(live, state="firing", run_id=run.run_id)}
    assert sorted(firing) == ["loss-nan", "loss-nonfinite"]
    nan = firing["loss-nan"]
    assert (nan["metric"], nan["step"], nan["value"]) == ("train/loss", 10, "NaN")
    assert sorted(nan["notified"]) == ["ops", "team-discord", "team-slack"]
    assert firing["loss-nonfinite"]["notified"] == []


def test_nan_in_a_burst_the_poller_catches_up_on_still_fires(
    clickhouse_server: EmbeddedClickHouse, alerts_file: Path, receiver: Receiver, tmp_path: Path
) -> None:
    """More points than one poll reads (an agent replaying its spool after an outage) are
    loaded as reduced backfills; the rules still see every point of them."""
    database = f"test_alerts_burst_{uuid.uuid4().hex[:8]}"
    client = clickhouse_server.client()
    apply_schema(client, database)
    settings = settings_for(clickhouse_server, database, alerts_file=alerts_file,
                            poll_max_rows=200)
    try:
        with LiveServer(settings) as live:
            live.wait_backfilled()
            run = Run(project="vision", host=clickhouse_server.host, port=clickhouse_server.port,
                      database=database, run_id=f"burst-{uuid.uuid4().hex[:8]}",
                      system_metrics=False, flush_interval=60, spool_dir=tmp_path / "spool",
                      environ={})
            try:
                assert run.flush(10)
                live.settle()
                catch_ups = live.runtime.poller.status().catch_ups
                for step in range(3000):  # one batch, far over poll_max_rows
                    run.log({"train/loss": math.nan if step == 2345 else 1.0}, step=step)
                assert run.flush(10)
                post = wait_for(lambda: receiver.posts("/hook", run_id=run.run_id, rule="loss-nan"),
                                10, "the webhook POST")[0]
                assert (post.body["step"], post.body["value"]) == (2345, "NaN")
                assert live.runtime.poller.status().catch_ups > catch_ups
            finally:
                run.finish()
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        client.close()


def test_failing_and_hanging_receivers_do_not_delay_the_other_channels(
    live: LiveServer, receiver: Receiver, make_run: Any
) -> None:
    run = make_run()
    run.log({"train/loss": math.inf}, step=3)
    assert run.flush(10)
    stored = time.monotonic()
    for path in ("/hook", "/slack", "/discord"):
        wait_for(lambda p=path: [r for r in receiver.posts(p) if run.run_id in str(r.body)], 5,
                 f"a POST to {path}")
    last = max(r.at for r in receiver.received if run.run_id in str(r.body))
    assert last - stored < 5.0
    # the broken receiver was retried (3 retries: 4 POSTs); the hanging one still holds the
    # first test's POST, and this alert waits in that channel's own queue
    wait_for(lambda: len([r for r in receiver.posts("/fail", run_id=run.run_id)]) == 4, 10,
             "retries to the broken channel")
    assert receiver.posts("/hang") and not receiver.posts("/hang", run_id=run.run_id)
    assert live.runtime.notifier.workers["hanging"].flush(0.1) is False


def test_slack_and_discord_payloads_have_their_documented_shapes(
    live: LiveServer, receiver: Receiver, make_run: Any
) -> None:
    run = make_run()
    run.log({"train/loss": -math.inf}, step=7)
    assert run.flush(10)
    slack = wait_for(lambda: [r.body for r in receiver.posts("/slack") if run.run_id in str(r.body)],
                     5, "the Slack POST")[0]
    assert isinstance(slack["text"], str) and run.run_id in slack["text"]
    assert [b["type"] for b in slack["blocks"]] == ["header", "section", "context"]
    assert slack["blocks"][0]["text"]["type"] == "plain_text"
    assert len(slack["blocks"][0]["text"]["text"]) <= 150
    section = slack["blocks"][1]
    assert section["text"]["type"] == "mrkdwn" and "-Infinity" in section["text"]["text"]
    assert 1 <= len(section["fields"]) <= 10
    assert all(f["type"] == "mrkdwn" and len(f["text"]) <= 2000 for f in section["fields"])

    discord = wait_for(lambda: [r.body for r in receiver.posts("/discord")
                                if run.run_id in str(r.body)], 5, "the Discord POST")[0]
    assert isinstance(discord["content"], str) and len(discord["content"]) <= 2000
    assert discord["username"] == "runwatch" and len(discord["embeds"]) == 1
    embed = discord["embeds"][0]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert isinstance(embed["color"], int) and 0 <= embed["color"] <= 0xFFFFFF
    assert 1 <= len(embed["fields"]) <= 25
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 and isinstance(f["inline"], bool)
               for f in embed["fields"])
    assert {f["name"]: f["value"] for f in embed["fields"]}["Value"] == "-Infinity"
    assert dt.datetime.fromisoformat(embed["timestamp"]).tzinfo is not None


def test_stalled_run_fires_then_resolves_when_logging_resumes(
    live: LiveServer, receiver: Receiver, make_run: Any
) -> None:
    run = make_run(project="stall-test")
    run.log({"train/acc": 0.5}, step=0)
    assert run.flush(10)
    # the process lives (heartbeats go on) but stores no training point for > 2 s
    fired = wait_for(lambda: receiver.posts("/hook", run_id=run.run_id, rule="stalled",
                                            state="firing"), 8, "stalled firing")[0]
    assert "no training point" in fired.body["message"]
    assert [a["rule"] for a in _alerts(live, state="firing", run_id=run.run_id)] == ["stalled"]
    run.log({"train/acc": 0.6}, step=1)
    assert run.flush(10)
    wait_for(lambda: receiver.posts("/hook", run_id=run.run_id, rule="stalled", state="resolved"),
             5, "stalled resolved")
    assert _alerts(live, state="firing", run_id=run.run_id) == []


def test_sigkilled_training_process_becomes_crashed_and_fires_run_crashed(
    live: LiveServer, receiver: Receiver, clickhouse_server: EmbeddedClickHouse, alerts_db: str,
    tmp_path: Path,
) -> None:
    run_id = f"killed-{uuid.uuid4().hex[:6]}"
    script = textwrap.dedent(f"""
        import sys, time
        from runwatch import Run
        run = Run(project="p", run_id={run_id!r}, host={clickhouse_server.host!r},
                  port={clickhouse_server.port}, database={alerts_db!r}, system_metrics=False,
                  spool_dir={str(tmp_path)!r}, flush_interval=0.05, heartbeat_interval=0.3)
        step = 0
        while True:
            run.log({{"train/loss": 1.0}}, step=step)
            step += 1
            if step == 5:
                run.flush(10)
                print("ready", flush=True)
            time.sleep(0.05)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        wait_for(lambda: any(r["run_id"] == run_id and r["status"] == "running"
                             for r in live.get("/runs").json()["runs"]), 30, "the run, running")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    # heartbeat lost after 1.5 s (crash_after_sec), seen by the next runs poll (0.5 s)
    post = wait_for(lambda: receiver.posts("/hook", run_id=run_id, rule="run-crashed"), 30,
                    "run_crashed")[0]
    assert post.body["kind"] == "run_crashed" and "heartbeat" in post.body["message"]
    runs = {r["run_id"]: r for r in live.get("/runs").json()["runs"]}
    assert runs[run_id]["status"] == "crashed" and runs[run_id]["is_active"] is False
    assert live.get("/runs", status="crashed").json()["total"] >= 1


def test_exception_records_type_and_message_and_outofmemoryerror_is_oom(
    live: LiveServer, receiver: Receiver, make_run: Any
) -> None:
    plain = make_run()
    with pytest.raises(ValueError), plain:
        plain.log({"train/loss": 1.0}, step=0)
        raise ValueError("shapes (3,) and (4,) do not align")
    oom = make_run()
    with pytest.raises(OutOfMemoryError), oom:
        oom.log({"train/loss": 1.0}, step=0)
        raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    def failures() -> dict[str, Any]:
        runs = {r["run_id"]: r for r in live.get("/runs", status="failed").json()["runs"]}
        return {k: runs[k]["failure"] for k in (plain.run_id, oom.run_id) if k in runs}

    got = wait_for(lambda: len(failures()) == 2 and failures(), 10, "both failed runs")
    assert got[plain.run_id] == {"reason": "exception", "type": "ValueError",
                                 "message": "shapes (3,) and (4,) do not align"}
    assert got[oom.run_id]["reason"] == "oom"
    assert got[oom.run_id]["type"].endswith("OutOfMemoryError")
    post = wait_for(lambda: receiver.posts("/hook", run_id=oom.run_id, rule="run-failed"), 10,
                    "run_failed")[0]
    assert "oom" in post.body["message"] and "2.00 GiB" in post.body["message"]


def test_gpu_temperature_rule_fires_per_gpu_on_the_fake_nvml(
    live: LiveServer, receiver: Receiver, make_run: Any
) -> None:
    nvml = FakePynvml(gpus=[FakeGpu(temperature=91), FakeGpu(temperature=60),
                            FakeGpu(temperature=88)])
    nvml.nvmlInit()
    run = make_run(collectors=[NvmlCollector(nvml)], system_interval=0.2)
    run.log({"train/loss": 1.0}, step=0)
    posts = wait_for(lambda: len(receiver.posts("/hook", run_id=run.run_id, rule="gpu-hot")) >= 2
                     and receiver.posts("/hook", run_id=run.run_id, rule="gpu-hot"), 10,
                     "two GPU alerts")
    assert sorted((p.body["metric"], p.body["device"], p.body["value"]) for p in posts) == [
        ("sys.gpu.0.temperature_celsius", 0, 91.0), ("sys.gpu.2.temperature_celsius", 2, 88.0)]
    time.sleep(0.5)
    assert len(receiver.posts("/hook", run_id=run.run_id, rule="gpu-hot")) == 2
    firing = _alerts(live, state="firing", run_id=run.run_id)
    assert sorted(a["device"] for a in firing if a["rule"] == "gpu-hot") == [0, 2]


def test_throttle_holds_under_a_flapping_metric(
    live: LiveServer, receiver: Receiver, make_run: Any
) -> None:
    run = make_run()
    for step in range(12):
        run.log({"flap/x": 2.0 if step % 2 == 0 else 0.0, "train/loss": 1.0}, step=step)
        assert run.flush(10)
        live.settle()
    history = [a for a in _alerts(live, state="all", run_id=run.run_id) if a["rule"] == "flappy"]
    assert len(history) == 6 and all(a["state"] == "resolved" for a in history)
    time.sleep(0.5)
    sent = receiver.posts("/hook", run_id=run.run_id, rule="flappy")
    assert [p.body["state"] for p in sent] == ["firing", "resolved"]


def test_backend_restart_renotifies_nothing(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    receiver: Receiver, alerts_file: Path,
) -> None:
    settings = _settings(clickhouse_server, database, alerts_file)

    def new_run(**kw: Any) -> Run:
        return Run(project="p", host=clickhouse_server.host, port=clickhouse_server.port,
                   database=database, run_id=f"restart-{uuid.uuid4().hex[:6]}",
                   system_metrics=False, flush_interval=0.05, heartbeat_interval=0.3,
                   spool_dir=tmp_path / "spool", environ={}, **kw)

    nan_run = new_run()
    failed = new_run()
    with LiveServer(settings) as first:
        first.wait_backfilled()
        nan_run.log({"train/loss": math.nan}, step=1)
        assert nan_run.flush(10)
        failed.log({"train/loss": 1.0}, step=0)
        failed.finish("failed", error=RuntimeError("boom"))
        wait_for(lambda: receiver.posts("/hook", run_id=nan_run.run_id)
                 and receiver.posts("/hook", run_id=failed.run_id, rule="run-failed"), 10,
                 "both notifications")
        wait_for(lambda: all("ops" in a["notified"] for a in _alerts(first, state="firing")
                             if a["rule"] != "loss-nonfinite"), 5, "notified channels stored")
    def ours() -> int:  # (the module's 2 s `stalled` rule may fire meanwhile: a new alert)
        return len([r for r in receiver.received if isinstance(r.body, dict)
                    and r.body.get("run_id") in (nan_run.run_id, failed.run_id)
                    and r.body.get("rule") != "stalled"])

    sent = ours()
    with LiveServer(settings) as second:
        second.wait_backfilled()
        nan_run.log({"train/loss": math.nan}, step=2)  # still NaN: the same firing alert
        assert nan_run.flush(10)
        for _ in range(3):
            second.settle()
        time.sleep(1.5)  # several runs polls
        firing = _alerts(second, state="firing")
        assert sorted(a["rule"] for a in firing if a["rule"] != "stalled") == [
            "loss-nan", "loss-nonfinite", "run-failed"]
    assert ours() == sent
    nan_run.finish()


def test_get_alerts_rejects_bad_parameters_with_422(live: LiveServer) -> None:
    assert live.get("/alerts", state="sometimes").status_code == 422
    assert live.get("/alerts", limit=0).status_code == 422
    assert httpx.get(live.url + "/alerts", params={"run_id": "x'; DROP TABLE alerts"},
                     timeout=10).json()["alerts"] == []
