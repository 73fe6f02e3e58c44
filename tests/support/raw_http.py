"""HTTP requests sent by hand, for what httpx refuses to send (URLs over 64 KiB)."""

from __future__ import annotations

import socket


def raw_get(host: str, port: int, target: bytes) -> bytes:
    """A GET of `target` on a connection of its own; the whole reply, status line first."""
    with socket.create_connection((host, port), timeout=30) as sock:
        # a Host the servers answer to (they refuse foreign names: server/hosts.py)
        host_header = f"{host}:{port}".encode()
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + host_header + b"\r\nConnection: close\r\n\r\n")
        reply = bytearray()
        while chunk := sock.recv(65536):
            reply += chunk
    return bytes(reply)
