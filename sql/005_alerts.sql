-- alerts: one row per alert (rule, run, series) firing episode; the newest row (by
-- updated_at) wins.
--
-- The dashboard server evaluates its rules (runwatch.server.alerts) on the points and runs it
-- already polls and writes a row when an alert fires, again when it resolves and again when a
-- channel was notified. ReplacingMergeTree(updated_at) makes each of those a plain INSERT;
-- read with FINAL. On start the server reads the alerts still firing, so a restart neither
-- fires them again nor notifies twice.
--
-- series: '<metric>|<host>|<rank>|<device>' for point rules, '' for run rules (run_failed,
-- run_crashed, stalled). value: the value that fired (NaN for run rules). state: 'firing' or
-- 'resolved'. notified: channel names that accepted the firing notification.
--
-- Example: alerts firing now, newest first
--   SELECT rule, run_id, metric, step, value, message FROM alerts FINAL
--   WHERE state = 'firing' ORDER BY fired_at DESC;
CREATE TABLE IF NOT EXISTS alerts
(
    alert_id    String,
    rule        LowCardinality(String),
    kind        LowCardinality(String),
    severity    LowCardinality(String) DEFAULT 'warning',
    run_id      String,
    project     LowCardinality(String) DEFAULT '',
    series      String DEFAULT '',
    metric      String DEFAULT '',
    host        String DEFAULT '',
    rank        UInt32 DEFAULT 0,
    device      UInt16 DEFAULT 65535,
    step        Nullable(UInt64),
    value       Float64 DEFAULT nan,
    message     String DEFAULT '',
    state       LowCardinality(String) DEFAULT 'firing',
    fired_at    DateTime64(3),
    resolved_at Nullable(DateTime64(3)),
    notified    Array(String) DEFAULT [],
    updated_at  DateTime64(3) DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY alert_id;
