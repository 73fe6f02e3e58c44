-- Run liveness and failure reasons on the runs table (../002_runs.sql).
--
-- heartbeat_at: the agent rewrites its runs row every heartbeat interval (10 s) while the
-- process lives. A run whose status is still 'running' but whose heartbeat is older than the
-- server's RUNWATCH_CRASH_AFTER_SEC is shown as 'crashed' (the process vanished: SIGKILL, OOM
-- killer, node loss); NULL (agents without heartbeats) keeps the old 'stale' rule.
-- failure_reason: '' | 'exception' | 'oom' | 'keyboard_interrupt' | 'signal' | 'exit_code';
-- failure_type / failure_message: the exception's class name and message when it failed.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS heartbeat_at Nullable(DateTime64(3));
ALTER TABLE runs ADD COLUMN IF NOT EXISTS failure_reason LowCardinality(String) DEFAULT '';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS failure_type String DEFAULT '';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS failure_message String DEFAULT '';
