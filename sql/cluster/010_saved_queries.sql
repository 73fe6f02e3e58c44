-- Cluster edition of ../010_saved_queries.sql. A handful of rows: one shard would do, but
-- sharding by id like the other tables keeps one pattern for every table.
CREATE TABLE IF NOT EXISTS saved_queries_local ON CLUSTER '{cluster}'
(
    id          String,
    name        String,
    query       String,
    chart_json  String DEFAULT '{}',
    refresh_sec UInt32 DEFAULT 10,
    deleted     UInt8 DEFAULT 0,
    updated_at  DateTime64(3) DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/saved_queries_local', '{replica}', updated_at)
ORDER BY id
COMMENT 'one version of a console query saved as a panel, read with FINAL WHERE deleted = 0';

CREATE TABLE IF NOT EXISTS saved_queries ON CLUSTER '{cluster}' AS saved_queries_local
ENGINE = Distributed('{cluster}', currentDatabase(), saved_queries_local, cityHash64(id));
