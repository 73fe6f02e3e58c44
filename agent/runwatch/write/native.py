"""ClickHouse Native format, the wire format of the agent's inserts: pure functions, no I/O.

A Native block is `varint(columns) varint(rows)` followed, per column, by its name, its type
name and its data. The agent builds the column data with bytes/array operations that run in C
(a constant column is one value repeated; a LowCardinality column is a small dictionary plus
one fixed-width index per row), which is what lets one Python thread encode millions of points
per second without numpy. The same bytes are the insert body and the spool file's payload.

Types used: (U)IntN, Float64, DateTime64(3) (Int64 milliseconds), String, LowCardinality(String),
Array(String), Nullable(DateTime64(3)). See ClickHouse's `SerializationLowCardinality` for the
LowCardinality layout: a UInt64 serialization version (1), then per granule UInt64 flags
(index width | NeedUpdateDictionary | HasAdditionalKeys), UInt64 dictionary size, the
dictionary as a String column, UInt64 row count and the indexes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

_LC_VERSION = struct.pack("<Q", 1)
_LC_FLAGS = (1 << 9) | (1 << 10)  # NeedUpdateDictionary | HasAdditionalKeys
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")


def varint(value: int) -> bytes:
    """Unsigned LEB128."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string(value: str) -> bytes:
    """One value of a String column: varint length, then the UTF-8 bytes."""
    data = value.encode()
    return varint(len(data)) + data


def string_column(values: Iterable[str]) -> bytes:
    return b"".join(map(string, values))


def index_width(dictionary_size: int) -> int:
    """Bytes per LowCardinality index for a dictionary of this size (1, 2, 4 or 8)."""
    if dictionary_size <= 1 << 8:
        return 1
    if dictionary_size <= 1 << 16:
        return 2
    if dictionary_size <= 1 << 32:
        return 4
    return 8


_WIDTH_CODE = {1: 0, 2: 1, 4: 2, 8: 3}


def low_cardinality_column(dictionary: Sequence[str], indexes: bytes, width: int) -> bytes:
    """A LowCardinality(String) column: `indexes` holds one little-endian `width`-byte index
    into `dictionary` per row. The dictionary may repeat values; the server folds them."""
    rows = len(indexes) // width
    return b"".join(
        (
            _LC_VERSION,
            _U64.pack(_LC_FLAGS | _WIDTH_CODE[width]),
            _U64.pack(len(dictionary)),
            string_column(dictionary),
            _U64.pack(rows),
            indexes,
        )
    )


def constant_low_cardinality(value: str, rows: int) -> bytes:
    return low_cardinality_column([value], bytes(rows), 1)


def array_of_strings_column(rows: Sequence[Sequence[str]]) -> bytes:
    offsets = bytearray()
    end = 0
    for row in rows:
        end += len(row)
        offsets += _U64.pack(end)
    return bytes(offsets) + b"".join(string_column(row) for row in rows)


def datetime64_ms_column(values_ms: Sequence[int]) -> bytes:
    return b"".join(map(_I64.pack, values_ms))


def nullable_datetime64_ms_column(values_ms: Sequence[int | None]) -> bytes:
    null_map = bytes(1 if v is None else 0 for v in values_ms)
    return null_map + b"".join(_I64.pack(0 if v is None else v) for v in values_ms)


def block(rows: int, columns: Sequence[tuple[str, str, bytes]]) -> bytes:
    """A Native block from (name, type, data) per column."""
    parts = [varint(len(columns)), varint(rows)]
    for name, type_name, data in columns:
        parts += (string(name), string(type_name), data)
    return b"".join(parts)
