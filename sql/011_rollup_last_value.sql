-- metric_rollup_1m_mv, cheaper: the same rows in metric_rollup_1m, at about a third of the
-- view's insert work.
--
-- The view of 004 computed last_value as argMaxState(value, (event_time, step)) over every
-- point: a Tuple key is compared generically, row by row, and that one aggregate was ~80 % of
-- the view's cost (BENCHMARKS.md, "Ingest stages"). Here the per-point work packs the key
-- into one UInt128 that orders exactly as the tuple does: the high 64 bits are event_time in
-- milliseconds with the sign bit flipped (so times before 1970 still sort first), the low 64
-- bits the step. An inner GROUP BY takes argMax(value, key) and max(key) over the points;
-- the outer SELECT, one row per series and minute, builds the very state 004 stored with
-- initializeAggregation (the tuple is max(event_time) of the group, which is the key's high
-- half, and the key's low half). Ties on the key keep the first point, as argMax did, so
-- every column of every row, the state's bytes included, is what 004's view wrote
-- (tests/test_rollup_view.py compares the two on the same inserts).
--
-- MODIFY QUERY swaps the SELECT in place: no insert meets a moment without the view or with
-- two of them, and the target table, its data and its deduplication window (a retried insert
-- with the same token is skipped here too) stay as they are.
-- MODIFY QUERY without an experimental setting needs a ClickHouse of 2024 or later (the docs
-- dropped allow_experimental_alter_materialized_view_structure in January 2024; an older
-- server needs it set to 1 for the user that runs `runwatch migrate`).
ALTER TABLE metric_rollup_1m_mv MODIFY QUERY
SELECT
    run_id, metric, host, rank, device, minute,
    min_step, max_step, min_value, max_value,
    initializeAggregation('argMaxState', last, (last_time, toUInt64(bitAnd(last_key, 18446744073709551615)))) AS last_value,
    sum_value, finite_count, nan_count, count
FROM
(
    WITH bitOr(
        bitShiftLeft(toUInt128(bitXor(reinterpretAsUInt64(toUnixTimestamp64Milli(event_time)), 9223372036854775808)), 64),
        toUInt128(step)) AS key
    SELECT
        run_id, metric, host, rank, device,
        toStartOfMinute(event_time)   AS minute,
        min(step)                     AS min_step,
        max(step)                     AS max_step,
        min(value)                    AS min_value,
        max(value)                    AS max_value,
        argMax(value, key)            AS last,
        max(key)                      AS last_key,
        max(event_time)               AS last_time,
        sumIf(value, isFinite(value)) AS sum_value,
        countIf(isFinite(value))      AS finite_count,
        countIf(isNaN(value))         AS nan_count,
        count()                       AS count
    FROM metric_points
    GROUP BY run_id, metric, host, rank, device, minute
);
