"""ClickHouse exceptions as the HTTP interface reports them.

`EngineError` carries the ClickHouse error code and the engine's own message
("Code: 62. DB::Exception: ... (SYNTAX_ERROR)"). `http_status` is the mapping that
clickhouse-server's HTTPHandler applies (exceptionCodeToHTTPStatus), so clients that
branch on the status (401/403 auth, 400 bad query, 404 unknown object) behave the same.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"Code:\s*(\d+)\.")

# Error codes by name, as errorCodeToName() reports them in ClickHouse 26.9
# (tests/embedded/test_errors.py checks every name against the engine).
ERROR_CODES: dict[str, int] = {
    "CANNOT_PARSE_TEXT": 6,
    "THERE_IS_NO_COLUMN": 8,
    "DUPLICATE_COLUMN": 15,
    "CANNOT_PARSE_ESCAPE_SEQUENCE": 25,
    "CANNOT_PARSE_QUOTED_STRING": 26,
    "CANNOT_PARSE_INPUT_ASSERTION_FAILED": 27,
    "BAD_ARGUMENTS": 36,
    "UNKNOWN_ELEMENT_IN_AST": 37,
    "CANNOT_PARSE_DATE": 38,
    "TOO_LARGE_SIZE_COMPRESSED": 39,
    "CHECKSUM_DOESNT_MATCH": 40,
    "CANNOT_PARSE_DATETIME": 41,
    "ILLEGAL_COLUMN": 44,
    "UNKNOWN_FUNCTION": 46,
    "UNKNOWN_IDENTIFIER": 47,
    "NOT_IMPLEMENTED": 48,
    "UNKNOWN_TYPE": 50,
    "TYPE_MISMATCH": 53,
    "UNKNOWN_STORAGE": 56,
    "UNKNOWN_TABLE": 60,
    "SYNTAX_ERROR": 62,
    "UNKNOWN_AGGREGATE_FUNCTION": 63,
    "CANNOT_PARSE_NUMBER": 72,
    "UNKNOWN_FORMAT": 73,
    "CANNOT_OPEN_FILE": 76,
    "UNKNOWN_TYPE_OF_QUERY": 78,
    "UNKNOWN_DATABASE": 81,
    "UNKNOWN_COMPRESSION_METHOD": 89,
    "UNKNOWN_SETTING": 115,
    "INCORRECT_DATA": 117,
    "UNKNOWN_TYPE_OF_AST_NODE": 123,
    "UNKNOWN_DIRECTION_OF_SORTING": 152,
    "TIMEOUT_EXCEEDED": 159,
    "READONLY": 164,
    "TOO_DEEP_AST": 167,
    "TOO_BIG_AST": 168,
    "UNKNOWN_USER": 192,
    "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING": 216,
    "WRONG_PASSWORD": 193,
    "REQUIRED_PASSWORD": 194,
    "SOCKET_TIMEOUT": 209,
    "UNEXPECTED_AST_STRUCTURE": 223,
    "DATABASE_ACCESS_DENIED": 291,
    "QUERY_IS_TOO_LARGE": 229,
    "CANNOT_DECOMPRESS": 271,
    "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE": 321,
    "UNKNOWN_DATABASE_ENGINE": 336,
    "SUPPORT_IS_DISABLED": 344,
    "SESSION_NOT_FOUND": 372,
    "SESSION_IS_LOCKED": 373,
    "CANNOT_PARSE_UUID": 376,
    "HTTP_LENGTH_REQUIRED": 381,
    "QUERY_WAS_CANCELLED": 394,
    "CANNOT_COMPILE_REGEXP": 427,
    "CANNOT_SCHEDULE_TASK": 439,
    "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING": 441,
    "UNKNOWN_ROLE": 511,
    "SET_NON_GRANTED_ROLE": 512,
    "AUTHENTICATION_FAILED": 516,
    "CANNOT_PARSE_IPV4": 675,
    "CANNOT_PARSE_IPV6": 676,
    "UNKNOWN_EXCEPTION": 1002,
}

_STATUS_BY_NAME: dict[int, tuple[str, ...]] = {
    401: ("REQUIRED_PASSWORD",),
    # READONLY and DATABASE_ACCESS_DENIED: a refused write or file access is the client's
    # doing, never a server fault (a 500 would make clients retry it)
    403: ("UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE",
          "READONLY", "DATABASE_ACCESS_DENIED"),
    400: (
        "BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT",
        "CANNOT_PARSE_ESCAPE_SEQUENCE", "CANNOT_PARSE_QUOTED_STRING", "CANNOT_PARSE_DATE",
        "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER", "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING",
        "CANNOT_PARSE_IPV4", "CANNOT_PARSE_IPV6", "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
        "CANNOT_PARSE_UUID", "DUPLICATE_COLUMN", "ILLEGAL_COLUMN", "UNKNOWN_ELEMENT_IN_AST",
        "UNKNOWN_TYPE_OF_AST_NODE", "THERE_IS_NO_COLUMN", "TOO_DEEP_AST", "TOO_BIG_AST",
        "UNEXPECTED_AST_STRUCTURE", "SYNTAX_ERROR", "INCORRECT_DATA", "TYPE_MISMATCH",
        "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
        # a truncated or corrupt body: the client's to fix, not retry
        "CANNOT_DECOMPRESS", "CHECKSUM_DOESNT_MATCH", "TOO_LARGE_SIZE_COMPRESSED", "UNKNOWN_COMPRESSION_METHOD",
        "SUPPORT_IS_DISABLED",  # e.g. an expression in streamed VALUES data (handler.py)
    ),
    404: (
        "UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TYPE",
        "UNKNOWN_STORAGE", "UNKNOWN_DATABASE", "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING",
        "UNKNOWN_AGGREGATE_FUNCTION", "UNKNOWN_FORMAT", "UNKNOWN_DATABASE_ENGINE",
        "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE",
    ),
    413: ("QUERY_IS_TOO_LARGE",),
    501: ("NOT_IMPLEMENTED",),
    503: ("SOCKET_TIMEOUT", "CANNOT_OPEN_FILE", "CANNOT_SCHEDULE_TASK"),
    411: ("HTTP_LENGTH_REQUIRED",),
    408: ("TIMEOUT_EXCEEDED",),
}

_STATUS_BY_CODE: dict[int, int] = {
    ERROR_CODES[name]: status for status, names in _STATUS_BY_NAME.items() for name in names
}


class EngineError(Exception):
    """A ClickHouse exception: its numeric code and the full engine message."""

    def __init__(self, code: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else http_status(code)

    @classmethod
    def named(cls, name: str, text: str, status: int | None = None) -> EngineError:
        """An error raised by this server itself, worded like the engine's own."""
        code = ERROR_CODES[name]
        return cls(code, f"Code: {code}. DB::Exception: {text}. ({name})", status)


def from_engine_exception(exc: BaseException) -> EngineError:
    """Turn a chDB exception (ChdbError / RuntimeError wrapping "Code: N. ...") into an
    EngineError, keeping the engine's message from "Code:" on."""
    if isinstance(exc, EngineError):
        return exc
    text = str(exc)
    match = _CODE.search(text)
    if match is None:
        return EngineError(ERROR_CODES["UNKNOWN_EXCEPTION"], f"Code: 1002. DB::Exception: {text}")
    return EngineError(int(match.group(1)), text[match.start():].strip())


def http_status(code: int) -> int:
    """The HTTP status clickhouse-server answers with for an exception code."""
    return _STATUS_BY_CODE.get(code, 500)
