"""GET /alerts lists what the `alerts` table holds and the engine's alerts not written to it
yet. The page asks for the list once its stream is open; an alert that fired just before
(its live event already sent) and not yet written would be shown nowhere — on a wall monitor,
until the next reconnect, maybe days."""

from __future__ import annotations

import math

from runwatch.server.alerts.config import parse_alerts
from runwatch.server.alerts.engine import AlertEngine
from runwatch.server.alerts.model import Alert
from runwatch.server.alerts.notifier import Notifier
from runwatch.server.alerts.store import AlertsQuery, AlertStore, with_unwritten
from runwatch.server.query.clients import ClientPool
from runwatch.server.settings import ClickHouseSettings
from tests.backend.test_alert_rules import _rows
from tests.support.clickhouse import EmbeddedClickHouse

NAN_RULE = parse_alerts("""
[settings]
defaults = false
[[rule]]
name = "loss-nan"
kind = "nonfinite"
metric = "train/loss"
""")


def _alert(alert_id: str, fired_at_ms: int, state: str = "firing", run_id: str = "r1",
           rule: str = "loss-nan") -> Alert:
    alert = Alert(rule=rule, kind="nonfinite", run_id=run_id, series="s", fired_at_ms=fired_at_ms,
                  message="m", alert_id=alert_id)
    return alert.resolved(fired_at_ms + 1, "ok") if state == "resolved" else alert


def test_an_alert_that_fired_is_listed_before_its_row_is_written_and_after(
    clickhouse_server: EmbeddedClickHouse, database: str,
) -> None:
    pool = ClientPool(ClickHouseSettings(ch_host=clickhouse_server.host, ch_port=clickhouse_server.port,
                                         ch_database=database))
    store = AlertStore(pool)
    engine = AlertEngine(NAN_RULE, store, Notifier([], lambda *_: None))
    engine.observe_runs([{"run_id": "r1", "project": "p", "status": "running"}])
    engine.observe_points(_rows([("r1", "train/loss", 0, 1.0), ("r1", "train/loss", 1, math.nan)]))
    firing = AlertsQuery(state="firing")
    assert store.find(firing) == []  # not written yet: written at the end of the poller's cycle
    listed = with_unwritten(store.find(firing), engine.unwritten(), firing)
    assert [(a.run_id, a.rule, a.state, a.step) for a in listed] == [("r1", "loss-nan", "firing", 1)]

    engine.end_cycle()
    assert engine.unwritten() == ()
    assert [a.alert_id for a in store.find(firing)] == [listed[0].alert_id]
    assert [a.alert_id for a in with_unwritten(store.find(firing), engine.unwritten(), firing)] == [
        listed[0].alert_id]


def test_unwritten_alerts_replace_their_rows_and_obey_the_query() -> None:
    stored = [_alert("b", 2000), _alert("a", 1000)]
    unwritten = [_alert("b", 2000, state="resolved"), _alert("c", 3000), _alert("d", 4000, run_id="r2"),
                 _alert("e", 5000, rule="other")]
    everything = with_unwritten(stored, unwritten, AlertsQuery(state="all"))
    assert [(a.alert_id, a.state) for a in everything] == [
        ("e", "firing"), ("d", "firing"), ("c", "firing"), ("b", "resolved"), ("a", "firing")]
    firing_r1 = with_unwritten(stored, unwritten, AlertsQuery(state="firing", run_id="r1", rule="loss-nan"))
    assert [a.alert_id for a in firing_r1] == ["c", "a"]  # b resolved since its row was written
    assert [a.alert_id for a in with_unwritten(stored, unwritten, AlertsQuery(limit=2))] == ["e", "d"]
    assert with_unwritten(stored, (), AlertsQuery()) == stored
