from __future__ import annotations

import datetime

import pytest

from runwatch.write import native
from tests.agent.helpers import decode_native


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
     (2**32, b"\x80\x80\x80\x80\x10")],
)
def test_varint_when_encoded_then_leb128(value: int, expected: bytes) -> None:
    assert native.varint(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", b"\x00"), ("ab", b"\x02ab"), ("é", b"\x02\xc3\xa9")],
)
def test_string_when_encoded_then_length_prefixed_utf8(value: str, expected: bytes) -> None:
    assert native.string(value) == expected


@pytest.mark.parametrize(("size", "width"), [(1, 1), (256, 1), (257, 2), (65536, 2), (65537, 4)])
def test_index_width_when_dictionary_grows_then_wider(size: int, width: int) -> None:
    assert native.index_width(size) == width


def test_low_cardinality_column_when_encoded_then_exact_layout() -> None:
    data = native.low_cardinality_column(["a", "bc"], bytes([1, 0, 1]), 1)
    assert data == (
        (1).to_bytes(8, "little")  # serialization version
        + ((1 << 9) | (1 << 10) | 0).to_bytes(8, "little")  # flags: UInt8 indexes, new dictionary
        + (2).to_bytes(8, "little") + b"\x01a\x02bc"  # the dictionary
        + (3).to_bytes(8, "little") + b"\x01\x00\x01"  # the rows' indexes
    )


def test_block_when_decoded_by_clickhouse_connect_then_same_values() -> None:
    body = native.block(
        2,
        [
            ("s", "String", native.string_column(["x", "yz"])),
            ("lc", "LowCardinality(String)", native.low_cardinality_column(["p", "q"], b"\x01\x01", 1)),
            ("tags", "Array(String)", native.array_of_strings_column([["a"], []])),
            ("t", "DateTime64(3)", native.datetime64_ms_column([0, 1_700_000_000_123])),
            ("n", "Nullable(DateTime64(3))", native.nullable_datetime64_ms_column([None, 5])),
        ],
    )
    names, rows = decode_native(body)
    assert names == ("s", "lc", "tags", "t", "n")
    assert rows[0][:3] == ("x", "q", ["a"])
    assert rows[1][:3] == ("yz", "q", [])
    assert rows[1][3] == datetime.datetime(2023, 11, 14, 22, 13, 20, 123000)
    assert rows[0][4] is None
    assert rows[1][4] == datetime.datetime(1970, 1, 1, 0, 0, 0, 5000)
