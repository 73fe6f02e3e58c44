-- Cluster edition of ../005_alerts.sql. Sharded by run_id like the runs table.
CREATE TABLE IF NOT EXISTS alerts_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/alerts_local', '{replica}', updated_at)
ORDER BY alert_id;

CREATE TABLE IF NOT EXISTS alerts ON CLUSTER '{cluster}' AS alerts_local
ENGINE = Distributed('{cluster}', currentDatabase(), alerts_local, cityHash64(run_id));
