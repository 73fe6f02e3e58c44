"""backend/runwatch/server/embedded/compression.py: request bodies decoded chunk by chunk, responses encoded."""

from __future__ import annotations

import gzip
import zlib

import lz4.frame
import pytest
import zstandard

from runwatch.server.embedded.compression import PIECE_BYTES, choose_encoding, decoder_for, encode
from runwatch.server.embedded.errors import EngineError

PAYLOAD = b"".join(b"%d\tmetric.loss\t%f\n" % (i, 1 / (i + 1)) for i in range(20_000))


def _frames(compress_one: object, blocks: int = 3) -> bytes:
    size = len(PAYLOAD) // blocks + 1
    return b"".join(compress_one(PAYLOAD[i:i + size]) for i in range(0, len(PAYLOAD), size))  # type: ignore[operator]


ENCODED = {
    "gzip": gzip.compress(PAYLOAD),
    "deflate": zlib.compress(PAYLOAD),
    "zstd": zstandard.ZstdCompressor().compress(PAYLOAD),
    "lz4": lz4.frame.compress(PAYLOAD),
    # clickhouse-connect compresses each insert block separately: several frames in a row
    "zstd-frames": _frames(zstandard.ZstdCompressor().compress),
    "lz4-frames": _frames(lz4.frame.compress),
    "gzip-members": _frames(gzip.compress),
    "identity": PAYLOAD,
}


@pytest.mark.parametrize("name", sorted(ENCODED))
@pytest.mark.parametrize("chunk_size", [7, 1000, 1 << 20])
def test_decoder_when_fed_in_chunks_then_restores_payload(name: str, chunk_size: int) -> None:
    data = ENCODED[name]
    decoder = decoder_for(name.split("-")[0])
    out = bytearray()
    for i in range(0, len(data), chunk_size):
        for piece in decoder.decode(data[i:i + chunk_size]):
            assert 0 < len(piece) <= PIECE_BYTES
            out += piece
    decoder.finish()
    assert bytes(out) == PAYLOAD


@pytest.mark.parametrize("name", sorted(n for n in ENCODED if n != "identity"))
@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_decoder_when_body_is_truncated_then_finish_fails(name: str, cut: float) -> None:
    data = ENCODED[name]
    decoder = decoder_for(name.split("-")[0])
    for _ in decoder.decode(data[:int(len(data) * cut)]):
        pass
    with pytest.raises(EngineError) as info:
        decoder.finish()
    assert info.value.code == 271  # CANNOT_DECOMPRESS


@pytest.mark.parametrize("name", ["zstd", "lz4", "gzip"])
def test_decoder_when_body_is_corrupt_then_cannot_decompress(name: str) -> None:
    data = bytearray(ENCODED[name])
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    decoder = decoder_for(name)
    with pytest.raises(EngineError) as info:
        for _ in decoder.decode(bytes(data)):
            pass
        decoder.finish()
    assert info.value.code == 271


def test_decoder_when_bomb_then_pieces_come_one_at_a_time() -> None:
    bomb = zstandard.ZstdCompressor(level=19).compress(bytes(64 << 20))
    pieces = decoder_for("zstd").decode(bomb)
    first = next(pieces)  # only as much as was asked for is decoded
    assert len(first) == PIECE_BYTES
    assert sum(len(p) for p in pieces) + len(first) == 64 << 20


def test_decoder_when_encoding_unknown_then_unknown_compression_method() -> None:
    with pytest.raises(EngineError) as info:
        decoder_for("snappy")
    assert info.value.code == 89


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("lz4,zstd,br,gzip,deflate", "lz4"),
        ("gzip, deflate", "gzip"),
        ("br;q=1.0, zstd", "br"),  # brotli is part of the embedded extra
        ("sdch, zstd", "zstd"),
        ("identity", None),
        (None, None),
    ],
)
def test_choose_encoding_table(accept: str | None, chosen: str | None) -> None:
    assert choose_encoding(accept) == chosen


@pytest.mark.parametrize("name", ["gzip", "deflate", "zstd", "lz4"])
def test_encode_when_decoded_then_same_bytes(name: str) -> None:
    decoder = decoder_for(name)
    assert b"".join(decoder.decode(encode(PAYLOAD, name))) == PAYLOAD
    decoder.finish()
