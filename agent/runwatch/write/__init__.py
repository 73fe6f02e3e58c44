"""The points' way out of the training process: registry -> buffer -> writer (-> spool) ->
ClickHouse. `pipeline.Pipeline` wires the pieces for one run; the encoders (`encode`,
`encode_rows`, `native`) are pure functions; `writer` is the one background thread; `spool`
and `replay` keep what ClickHouse could not take yet."""
