"""Alerts: rules evaluated on what the poller already reads, their lifecycle in ClickHouse,
and notifications (webhook, Slack, Discord) from their own threads.

    poller thread ──rows, runs──▶ engine ─▶ evaluator (vectorised per rule) ─▶ lifecycle
                                    │                                         (firing/resolved)
                                    ├─▶ store (alerts table, one writer: this thread)
                                    ├─▶ SSE `alert` event
                                    └─▶ notifier: one thread + bounded queue per channel
"""
