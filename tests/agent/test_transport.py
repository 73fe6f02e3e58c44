"""runwatch/transport.py: what a failed insert says in the training log."""

from __future__ import annotations

import pytest

from runwatch.config import ClickHouseTarget
from runwatch.write.batch import Batch
from runwatch.write.transport import ClickHouseTransport, TransportError, failure_reason
from tests.support.clickhouse import free_port


def test_insert_to_a_closed_port_names_host_table_and_the_socket_error_only() -> None:
    port = free_port()
    transport = ClickHouseTransport(ClickHouseTarget(port=port), connect_timeout=1.0)
    batch = Batch(table="metric_points", columns=("run_id",), body=b"", points=1,
                  database="training_observability", token="secret-token-123")
    with pytest.raises(TransportError) as caught:
        transport.insert(batch)
    message = str(caught.value)
    assert message.startswith(f"insert into training_observability.metric_points at 127.0.0.1:{port}: ")
    assert "Connection refused" in message
    for leaked in ("secret-token-123", "insert_deduplication_token", "?query=", "INSERT"):
        assert leaked not in message
    assert len(message) < 300


@pytest.mark.parametrize(("text", "reason"), [
    ("HTTPConnectionPool(host='h', port=1): Max retries exceeded with url: /?query=INSERT+INTO"
     "&insert_deduplication_token=abc (Caused by NewConnectionError('<conn>: Failed to establish "
     "a new connection: [Errno 111] Connection refused'))", "OSError: [Errno 111] Connection refused"),
    ("Code: 241. DB::Exception: Memory limit exceeded", "OSError: Code: 241. DB::Exception: Memory limit exceeded"),
    ("x" * 500, "OSError: " + "x" * 190 + "…"),
])
def test_failure_reason_strips_urls_and_keeps_the_cause(text: str, reason: str) -> None:
    assert failure_reason(OSError(text)) == reason
