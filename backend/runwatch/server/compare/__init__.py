"""Comparing runs: the runs table (flattened config + per-metric summaries), the config diff,
group-by aggregation, full-resolution smoothing, any-metric x axis and raw exports."""
