"""runwatch server side: embedded ClickHouse, schema migrations, poller, cache, SSE and REST.

Importing this package starts nothing and imports no server dependency; each module pulls in
what it needs, so the light agent-only install can still run `runwatch agent`.
"""
