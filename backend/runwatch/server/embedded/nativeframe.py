"""Native output at a client's protocol revision (pure: bytes in, bytes out).

chDB writes Native at revision 0 only. clickhouse-server, for `client_protocol_version=N`
with N > 0, writes a BlockInfo before every block (is_overflows = 0, bucket_num = -1),
keeps the time zone of a top-level `DateTime('tz')` from N >= 54337 (revision 0 writes
`DateTime`) and, from N >= 54454, a custom-serialization flag byte after each type.

The engine is asked for its types in the binary encoding
(`output_format_native_encode_types_in_binary_format=1`), which keeps every time zone;
`Reframer` walks each block (column data skipped per type, never copied into Python
values), writes the BlockInfo and the types as their names. It keeps whole blocks only:
an incomplete block waits for the next piece. A type it cannot walk (Dynamic, JSON,
aggregate states ...) raises Unwalkable on the first block, before anything went out:
the query is then run again with the engine's own (revision-0) names and each streamed
piece (the engine's streaming fetch hands out one block at a time) gets its BlockInfo,
so only the zones of top-level DateTime columns are lost. Where that cannot hold (a
whole buffered body, revision >= 54454) it is an error, never a corrupt stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from runwatch.server.embedded.errors import EngineError
from runwatch.write.native import varint

TIME_ZONE_REVISION = 54337
CUSTOM_SERIALIZATION_REVISION = 54454
BINARY_TYPES_SETTING = "output_format_native_encode_types_in_binary_format"
BLOCK_INFO = b"\x01\x00\x02\xff\xff\xff\xff\x00"  # field 1 is_overflows, field 2 bucket_num, end

_FIXED = {  # binary type code: (name, bytes per value)
    0x00: ("Nothing", 1), 0x01: ("UInt8", 1), 0x02: ("UInt16", 2), 0x03: ("UInt32", 4),
    0x04: ("UInt64", 8), 0x05: ("UInt128", 16), 0x06: ("UInt256", 32), 0x07: ("Int8", 1),
    0x08: ("Int16", 2), 0x09: ("Int32", 4), 0x0A: ("Int64", 8), 0x0B: ("Int128", 16),
    0x0C: ("Int256", 32), 0x0D: ("Float32", 4), 0x0E: ("Float64", 8), 0x0F: ("Date", 2),
    0x10: ("Date32", 4), 0x11: ("DateTime", 4), 0x1D: ("UUID", 16), 0x28: ("IPv4", 4),
    0x29: ("IPv6", 16), 0x2D: ("Bool", 1), 0x31: ("BFloat16", 2), 0x32: ("Time", 4),
}
_DECIMAL_SIZES = {0x19: 4, 0x1A: 8, 0x1B: 16, 0x1C: 32}
_INTERVALS = ("Nanosecond", "Microsecond", "Millisecond", "Second", "Minute", "Hour", "Day",
              "Week", "Month", "Quarter", "Year")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Unwalkable(EngineError):
    """A type whose data this module cannot step over (raised before any byte went out)."""


class Incomplete(Exception):
    """The block goes on in a piece not received yet."""


class Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> int:
        start = self.pos
        self.pos += n
        if self.pos > len(self.data):
            raise Incomplete
        return start

    def byte(self) -> int:
        return self.data[self.take(1)]

    def varint(self) -> int:
        data, pos, shift, value = self.data, self.pos, 0, 0
        while True:
            if pos >= len(data):
                raise Incomplete
            b = data[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                self.pos = pos
                return value
            shift += 7

    def uint(self, size: int) -> int:
        start = self.take(size)
        return int.from_bytes(self.data[start:self.pos], "little")

    def string(self) -> bytes:
        n = self.varint()
        start = self.take(n)
        return bytes(self.data[start:self.pos])


# A column's data walker: (reader, rows) -> None, leaving the reader after the column.
Skip = Callable[[Reader, int], None]


def _fixed(size: int) -> Skip:
    def skip(r: Reader, rows: int) -> None:
        r.take(size * rows)
    return skip


def _strings(r: Reader, rows: int) -> None:
    data, pos, end = r.data, r.pos, len(r.data)
    for _ in range(rows):
        if pos >= end:
            raise Incomplete
        b = data[pos]
        if b < 0x80:
            pos += 1 + b
        else:
            r.pos = pos
            n = r.varint()
            pos = r.pos + n
    if pos > end:
        raise Incomplete
    r.pos = pos


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Type:
    """A column type read from its binary encoding: its name, and how to step over its
    serialization prefix (LowCardinality's key version) and its data."""

    def __init__(self, name: str, data: Skip, prefix: Callable[[Reader], None] | None = None) -> None:
        self.name = name
        self.data = data
        self.prefix = prefix

    def skip(self, r: Reader, rows: int) -> None:
        if self.prefix is not None:
            self.prefix(r)
        self.data(r, rows)


def _prefixes(types: list[Type]) -> Callable[[Reader], None] | None:
    steps = [t.prefix for t in types if t.prefix is not None]
    if not steps:
        return None

    def prefix(r: Reader) -> None:
        for step in steps:
            step(r)
    return prefix


def _array(name: str, inner: Type) -> Type:
    def data(r: Reader, rows: int) -> None:
        if rows == 0:
            return
        start = r.take(8 * rows)
        count = int.from_bytes(r.data[start + 8 * (rows - 1):r.pos], "little")
        inner.data(r, count)
    return Type(name, data, inner.prefix)


def _tuple(name: str, elements: list[Type]) -> Type:
    def data(r: Reader, rows: int) -> None:
        for element in elements:
            element.data(r, rows)
    return Type(name, data, _prefixes(elements))


def _nullable(inner: Type) -> Type:
    def data(r: Reader, rows: int) -> None:
        r.take(rows)
        inner.data(r, rows)
    return Type(f"Nullable({inner.name})", data, inner.prefix)


def _low_cardinality(inner: Type, keys: Type) -> Type:
    def prefix(r: Reader) -> None:
        r.take(8)  # key serialization version

    def data(r: Reader, rows: int) -> None:
        if rows == 0:
            return  # an empty column (empty arrays) writes nothing
        flags = r.uint(8)
        if flags & (1 << 9):  # HasAdditionalKeysBit: the block's own dictionary
            keys.data(r, r.uint(8))
        count = r.uint(8)
        r.take(count * (1 << (flags & 0xFF)))
    return Type(f"LowCardinality({inner.name})", data, prefix)


def _variant(variants: list[Type]) -> Type:
    inner = _prefixes(variants)

    def prefix(r: Reader) -> None:
        r.take(8)  # discriminators mode: basic, one UInt8 per row (255 = NULL)
        if inner is not None:
            inner(r)

    def data(r: Reader, rows: int) -> None:
        start = r.take(rows)
        for i, variant in enumerate(variants):
            variant.data(r, r.data.count(i, start, start + rows))
    return Type(f"Variant({', '.join(t.name for t in variants)})", data, prefix)


def _fields(r: Reader) -> list[tuple[str, Type]]:
    return [(r.string().decode(), read_type(r)) for _ in range(r.varint())]


def _named(fields: list[tuple[str, Type]]) -> str:
    return ", ".join(f"{n if _IDENTIFIER.match(n) else '`' + n.replace('`', '``') + '`'} {t.name}"
                     for n, t in fields)


_POINT = Type("Point", _fixed(16))  # Tuple(Float64, Float64)
_GEO_ARRAYS = {"Ring": "Point", "LineString": "Point", "Polygon": "Ring", "MultiLineString": "LineString",
               "MultiPolygon": "Polygon"}  # each an Array of the next


def _geo(name: str) -> Type | None:
    if name == "Point":
        return _POINT
    inner = _geo(_GEO_ARRAYS[name]) if name in _GEO_ARRAYS else None
    return _array(name, inner) if inner is not None else None


def _simple_aggregate(r: Reader) -> Type | None:
    """SimpleAggregateFunction(f, T): stored as T itself (what min/max/sum over an
    AggregatingMergeTree column return). None for a parametric function: its parameters are
    binary-encoded Fields, not walked here (the query then runs again with engine names)."""
    function = r.string().decode()
    if r.varint():
        return None
    arguments = [read_type(r) for _ in range(r.varint())]
    if not arguments:
        return None
    stored = arguments[0]
    name = f"SimpleAggregateFunction({function}, {', '.join(t.name for t in arguments)})"
    return Type(name, stored.data, stored.prefix)


def read_type(r: Reader) -> Type:
    """One type in ClickHouse's binary type encoding; EngineError for one not walked here."""
    code = r.byte()
    if code in _FIXED:
        name, size = _FIXED[code]
        return Type(name, _fixed(size))
    if code == 0x12:
        return Type(f"DateTime({_quote(r.string().decode())})", _fixed(4))
    if code in (0x13, 0x14):
        precision = r.byte()
        zone = f", {_quote(r.string().decode())}" if code == 0x14 else ""
        return Type(f"DateTime64({precision}{zone})", _fixed(8))
    if code == 0x34:
        return Type(f"Time64({r.byte()})", _fixed(8))
    if code == 0x15:
        return Type("String", _strings)
    if code == 0x16:
        width = r.varint()
        return Type(f"FixedString({width})", _fixed(width))
    if code in (0x17, 0x18):
        size = 1 if code == 0x17 else 2
        items = []
        for _ in range(r.varint()):
            label = r.string().decode()
            value = int.from_bytes(r.data[r.take(size):r.pos], "little", signed=True)
            items.append(f"{_quote(label)} = {value}")
        return Type(f"Enum{8 * size}({', '.join(items)})", _fixed(size))
    if code in _DECIMAL_SIZES:
        precision, scale = r.byte(), r.byte()
        return Type(f"Decimal({precision}, {scale})", _fixed(_DECIMAL_SIZES[code]))
    if code == 0x22:
        kind = r.byte()
        if kind < len(_INTERVALS):
            return Type(f"Interval{_INTERVALS[kind]}", _fixed(8))
    if code == 0x1E:
        inner = read_type(r)
        return _array(f"Array({inner.name})", inner)
    if code == 0x1F:
        elements = [read_type(r) for _ in range(r.varint())]
        return _tuple(f"Tuple({', '.join(t.name for t in elements)})", elements)
    if code == 0x20:
        fields = _fields(r)
        return _tuple(f"Tuple({_named(fields)})", [t for _, t in fields])
    if code == 0x2F:
        fields = _fields(r)
        return _array(f"Nested({_named(fields)})", _tuple("", [t for _, t in fields]))
    if code == 0x2C and (custom := _geo(r.string().decode())) is not None:
        return custom
    if code == 0x2A:
        return _variant([read_type(r) for _ in range(r.varint())])
    if code == 0x23:
        return _nullable(read_type(r))
    if code == 0x26:
        start = r.pos
        inner = read_type(r)
        keys = read_type(Reader(r.data, start + 1)) if r.data[start] == 0x23 else inner
        return _low_cardinality(inner, keys)
    if code == 0x27:
        key, item = read_type(r), read_type(r)
        return _array(f"Map({key.name}, {item.name})", _tuple("", [key, item]))
    if code == 0x2E and (simple := _simple_aggregate(r)) is not None:
        return simple
    raise Unwalkable.named(
        "NOT_IMPLEMENTED",
        f"Native output at a client protocol revision: the embedded server cannot write type code "
        f"0x{code:02x} (Dynamic, JSON, aggregate states ...); ask without client_protocol_version")


class Reframer:
    """chDB's revision-0 Native (types in binary encoding) → Native at `revision`, piece by
    piece: `feed` returns the whole blocks seen so far, `finish` checks nothing is left."""

    def __init__(self, revision: int, binary_types: bool = False) -> None:
        self.revision = revision
        self.binary_types = binary_types  # the client asked for binary types itself: kept
        self.text_names = False  # the fallback: the engine's own names, one block per piece
        self._pending = b""  # the start of a block whose end has not come yet
        self._sent = False

    def feed(self, piece: bytes) -> bytes:
        if self.text_names:
            return BLOCK_INFO + piece
        data = self._pending + piece if self._pending else piece
        view = memoryview(data)
        out: list[bytes | memoryview] = []  # column data as views: one copy, in the join
        done = 0
        try:
            while done < len(data):
                done = self._block(Reader(data, done), view, out)
        except Incomplete:
            pass
        except Unwalkable:
            if self._sent or done or self.revision >= CUSTOM_SERIALIZATION_REVISION:
                raise
            self.text_names = True  # the caller runs the query again (engine_names)
            raise
        self._pending = data[done:]
        self._sent = self._sent or bool(out)
        return b"".join(out)

    def engine_settings(self) -> dict[str, str]:
        """What the engine is asked for: types in binary, or for the fallback as the
        client asked (nothing to walk then: each of the engine's streamed pieces is one
        block, and gets its BlockInfo; top-level DateTime columns lose their zone)."""
        return {BINARY_TYPES_SETTING: "1" if self.binary_types or not self.text_names else "0"}

    def finish(self) -> None:
        if self._pending:
            raise EngineError.named("INCORRECT_DATA", "The engine's Native output ended inside a block")

    def _block(self, r: Reader, view: memoryview, out: list[bytes | memoryview]) -> int:
        head = r.pos
        columns, rows = r.varint(), r.varint()
        parts: list[bytes | memoryview] = [BLOCK_INFO, view[head:r.pos]]
        for _ in range(columns):
            name_start = r.pos
            r.take(r.varint())
            parts.append(view[name_start:r.pos])
            type_start = r.pos
            kind = read_type(r)
            parts.append(view[type_start:r.pos] if self.binary_types else _name(kind.name, self.revision))
            if self.revision >= CUSTOM_SERIALIZATION_REVISION:
                parts.append(b"\x00")
            data_start = r.pos
            if rows:
                kind.skip(r, rows)
            parts.append(view[data_start:r.pos])
        out.extend(parts)  # only a whole block
        return r.pos


def _name(name: str, revision: int) -> bytes:
    if revision < TIME_ZONE_REVISION and name.startswith("DateTime("):
        name = "DateTime"
    encoded = name.encode()
    return varint(len(encoded)) + encoded
