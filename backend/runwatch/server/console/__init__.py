"""The SQL console: ad-hoc read-only queries streamed from ClickHouse to the page."""
