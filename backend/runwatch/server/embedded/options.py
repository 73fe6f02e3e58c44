"""What an HTTP request asks for, from its URL parameters and headers (pure).

clickhouse-server treats a fixed set of URL parameters as part of the protocol (`query`,
`database`, `default_format`, `param_*`, `query_id`, `session_id`, ...) and every other
parameter as a query setting. Settings that only steer the HTTP layer (compression of
the response, progress headers, cancel-on-close) are read here and never reach the engine.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from runwatch.server.embedded.errors import EngineError

PROTOCOL_PARAMS = frozenset({
    "query", "database", "default_format", "query_id", "session_id", "session_timeout",
    "session_check", "close_session", "user", "password", "quota_key", "compress",
    "decompress", "buffer_size", "wait_end_of_query", "stacktrace", "client_protocol_version",
    "role", "http_native_compression_disable_checksumming_on_decompress",
})

# Real settings, but about the HTTP exchange rather than the query: handled (or ignored)
# by this server, never applied to the engine.
HTTP_LAYER_SETTINGS = frozenset({
    "enable_http_compression", "send_progress_in_http_headers",
    "http_headers_progress_interval_ms", "cancel_http_readonly_queries_on_client_close",
    "add_http_cors_header", "http_zlib_compression_level", "http_response_buffer_size",
    "http_wait_end_of_query", "http_write_exception_in_output_format",
})


@dataclass
class ExternalPart:
    """One `file` field of a multipart body: an external table's data (structure and
    format come from the `<name>_structure` / `_types` / `_format` parameters)."""

    name: str
    data: bytes


_MAP_ENTRY = re.compile(r"\s*'((?:[^'\\]|\\.)*)'\s*:\s*'((?:[^'\\]|\\.)*)'\s*(?:,|$)")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def parse_header_map(value: str) -> dict[str, str]:
    """`http_response_headers`: a Map(String, String) literal such as {'X-A': 'b'}."""
    text = value.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise EngineError.named("BAD_ARGUMENTS", f"http_response_headers must be a map literal, got: {value!r}")
    headers: dict[str, str] = {}
    body, pos = text[1:-1].strip(), 0
    while pos < len(body):
        match = _MAP_ENTRY.match(body, pos)
        if match is None:
            raise EngineError.named("BAD_ARGUMENTS", f"Cannot parse http_response_headers: {value!r}")
        name = re.sub(r"\\(.)", r"\1", match.group(1))
        header = re.sub(r"\\(.)", r"\1", match.group(2))
        if not _HEADER_NAME.match(name) or any(c in header for c in "\r\n"):
            raise EngineError.named("BAD_ARGUMENTS", f"Invalid HTTP header in http_response_headers: {name!r}")
        headers[name] = header
        pos = match.end()
    return headers


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _number(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise EngineError.named("CANNOT_PARSE_NUMBER", f"Invalid {name}: '{value}'") from None


@dataclass
class Credentials:
    user: str | None = None
    password: str | None = None

    @property
    def given(self) -> bool:
        return self.user is not None or self.password is not None


@dataclass
class RequestOptions:
    query: str = ""
    database: str | None = None
    default_format: str | None = None
    bind_params: dict[str, str] = field(default_factory=dict)
    query_id: str | None = None
    session_id: str | None = None
    session_timeout: float | None = None
    session_check: bool = False
    close_session: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    http_compression: bool = False
    compress: bool = False  # ClickHouse block compression of the response (blockcompression.py)
    decompress: bool = False  # ... of the request body
    verify_checksums: bool = True  # of a decompress=1 body
    credentials: Credentials = field(default_factory=Credentials)
    wait_end_of_query: bool = False
    protocol_version: int = 0  # client_protocol_version: the Native revision (nativeframe.py)
    send_progress: bool = False
    progress_interval_ms: int = 100  # http_headers_progress_interval_ms
    response_headers: dict[str, str] = field(default_factory=dict)  # http_response_headers
    external: list[ExternalPart] = field(default_factory=list)  # multipart file parts

    def add(self, name: str, value: str) -> None:
        """One URL parameter, or one field of a multipart/form-data body (clickhouse-connect
        sends `query` and `param_*` that way when they are too long for the URL)."""
        if name.startswith("param_"):
            self.bind_params[name[len("param_"):]] = value
        elif name == "query":
            self.query = value
        elif name == "database":
            self.database = value or None
        elif name == "default_format":
            self.default_format = value or None
        elif name == "query_id":
            self.query_id = value or None
        elif name == "session_id":
            self.session_id = value or None
        elif name == "session_timeout":
            try:
                self.session_timeout = float(value)
            except ValueError:
                raise EngineError.named(
                    "BAD_ARGUMENTS", f"Invalid session timeout: '{value}'"
                ) from None
        elif name == "session_check":
            self.session_check = _flag(value)
        elif name == "close_session":
            self.close_session = _flag(value)
        elif name == "user":
            self.credentials.user = value
        elif name == "password":
            self.credentials.password = value
        elif name == "compress":
            self.compress = _flag(value)
        elif name == "decompress":
            self.decompress = _flag(value)
        elif name == "http_native_compression_disable_checksumming_on_decompress":
            self.verify_checksums = not _flag(value)
        elif name == "enable_http_compression":
            self.http_compression = _flag(value)
        elif name == "client_protocol_version":
            self.protocol_version = max(0, _number(name, value))
        elif name == "wait_end_of_query":
            self.wait_end_of_query = _flag(value)
        elif name == "send_progress_in_http_headers":
            self.send_progress = _flag(value)
        elif name == "http_headers_progress_interval_ms":
            self.progress_interval_ms = max(1, _number(name, value))
        elif name == "http_response_headers":
            self.response_headers = parse_header_map(value)
        elif name in PROTOCOL_PARAMS or name in HTTP_LAYER_SETTINGS or name.startswith("http_"):
            pass
        else:
            self.settings[name] = value


def parse_request(params: Iterable[tuple[str, str]], headers: Mapping[str, str]) -> RequestOptions:
    """Options from URL parameters (later ones win) and the X-ClickHouse-* headers."""
    options = RequestOptions()
    for name, value in params:
        options.add(name, value)
    if not options.database and headers.get("x-clickhouse-database"):
        options.database = headers["x-clickhouse-database"]
    if not options.default_format and headers.get("x-clickhouse-format"):
        options.default_format = headers["x-clickhouse-format"]
    _credentials_from_headers(options.credentials, headers)
    return options


def _credentials_from_headers(credentials: Credentials, headers: Mapping[str, str]) -> None:
    if "x-clickhouse-user" in headers or "x-clickhouse-key" in headers:
        credentials.user = headers.get("x-clickhouse-user", "default")
        credentials.password = headers.get("x-clickhouse-key", "")
        return
    authorization = headers.get("authorization", "")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise EngineError.named(
                "AUTHENTICATION_FAILED", "Invalid Basic authorization header"
            ) from None
        user, _, password = decoded.partition(":")
        credentials.user, credentials.password = user, password
