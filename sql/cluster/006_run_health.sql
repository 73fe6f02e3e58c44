-- Cluster edition of ../006_run_health.sql: the local tables and the Distributed one.
ALTER TABLE runs_local ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS heartbeat_at Nullable(DateTime64(3));
ALTER TABLE runs_local ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS failure_reason LowCardinality(String) DEFAULT '';
ALTER TABLE runs_local ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS failure_type String DEFAULT '';
ALTER TABLE runs_local ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS failure_message String DEFAULT '';
ALTER TABLE runs ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS heartbeat_at Nullable(DateTime64(3));
ALTER TABLE runs ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS failure_reason LowCardinality(String) DEFAULT '';
ALTER TABLE runs ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS failure_type String DEFAULT '';
ALTER TABLE runs ON CLUSTER '{cluster}' ADD COLUMN IF NOT EXISTS failure_message String DEFAULT '';
