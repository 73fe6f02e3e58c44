"""ClickHouse's own block compression on the HTTP interface: `compress=1` (the response) and
`decompress=1` (the request body), as clickhouse-server's CompressedWriteBuffer and
CompressedReadBuffer frame them.

A block is a 16-byte CityHash128 (v1.0.2) of what follows, one method byte (0x02 none,
0x82 LZ4, 0x90 ZSTD), the compressed size (UInt32, counting this 9-byte header), the
uncompressed size (UInt32), then the data. clickhouse-server compresses a response with
`network_compression_method` (LZ4 by default) in blocks of up to 1 MiB, and checks every
checksum of a request unless `http_native_compression_disable_checksumming_on_decompress`.

Decoding is bounded like compression.py's: the decoder holds at most one block (a block
over MAX_BLOCK_BYTES either way is refused) and hands its output on in PIECE_BYTES pieces.
Content-Encoding, when both are used, is the outer layer (`Chain`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import lz4.block
import zstandard
from clickhouse_cityhash.cityhash import CityHash128

from runwatch.server.embedded.compression import PIECE_BYTES, Decoder
from runwatch.server.embedded.errors import EngineError

NONE, LZ4, ZSTD = 0x02, 0x82, 0x90
HEADER_BYTES = 9
CHECKSUM_BYTES = 16
BLOCK_BYTES = 1024 * 1024  # clickhouse-server's DBMS_DEFAULT_BUFFER_SIZE
MAX_BLOCK_BYTES = 64 * 1024 * 1024  # what one block of a request may hold, either way
_U64 = (1 << 64) - 1
_METHODS = {"lz4": LZ4, "lz4hc": LZ4, "zstd": ZSTD, "none": NONE}


def _checksum(block: bytes) -> bytes:
    digest = CityHash128(block)
    return struct.pack("<QQ", digest >> 64, digest & _U64)


def method_for(setting: str | None) -> int:
    """The method byte for `network_compression_method` (case-insensitive, LZ4 by default)."""
    method = _METHODS.get((setting or "lz4").strip().lower())
    if method is None:
        raise EngineError.named("UNKNOWN_COMPRESSION_METHOD", f"Unknown compression method: {setting}")
    return method


def compress(data: bytes, method: int = LZ4, level: int = 1) -> bytes:
    """`data` as compressed blocks of at most BLOCK_BYTES each ("" for no data)."""
    out = bytearray()
    for start in range(0, len(data), BLOCK_BYTES):
        piece = data[start:start + BLOCK_BYTES]
        if method == LZ4:
            packed = lz4.block.compress(piece, store_size=False)
        elif method == ZSTD:
            packed = zstandard.ZstdCompressor(level=level).compress(piece)
        else:
            packed = bytes(piece)
        block = struct.pack("<BII", method, HEADER_BYTES + len(packed), len(piece)) + packed
        out += _checksum(block) + block
    return bytes(out)


class BlockEncoder:
    """compression.Encoder over ClickHouse blocks: each call's data becomes whole blocks,
    so a client decodes every part of a streamed result as it arrives."""

    def __init__(self, method: int = LZ4, level: int = 1) -> None:
        self._method = method
        self._level = level

    def compress(self, data: bytes) -> bytes:
        return compress(data, self._method, self._level)

    def finish(self) -> bytes:
        return b""


def _error(name: str, message: str) -> EngineError:
    return EngineError.named(name, message)


def _unpack(method: int, packed: memoryview, size: int) -> bytes:
    try:
        if method == LZ4:
            return bytes(lz4.block.decompress(packed, uncompressed_size=size))
        if method == ZSTD:
            return bytes(zstandard.ZstdDecompressor().decompress(packed, max_output_size=size))
    except Exception as exc:
        raise _error("CANNOT_DECOMPRESS", f"Cannot decompress a block of the request body: {exc}") from None
    if method == NONE:
        return bytes(packed)
    raise _error("UNKNOWN_COMPRESSION_METHOD", f"Unknown compression method byte 0x{method:02x} in the request body")


class BlockDecoder:
    """compression.Decoder for a `decompress=1` body."""

    def __init__(self, verify: bool = True) -> None:
        self._verify = verify
        self._buffer = bytearray()

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        self._buffer += chunk
        while len(self._buffer) >= CHECKSUM_BYTES + HEADER_BYTES:
            method, stored, size = struct.unpack_from("<BII", self._buffer, CHECKSUM_BYTES)
            if stored < HEADER_BYTES or stored > MAX_BLOCK_BYTES or size > MAX_BLOCK_BYTES:
                raise _error("TOO_LARGE_SIZE_COMPRESSED",
                             f"Too large or invalid size of a compressed block: {stored} compressed, {size} uncompressed")
            end = CHECKSUM_BYTES + stored
            if len(self._buffer) < end:
                return
            block = bytes(self._buffer[CHECKSUM_BYTES:end])
            if self._verify and _checksum(block) != bytes(self._buffer[:CHECKSUM_BYTES]):
                raise _error("CHECKSUM_DOESNT_MATCH",
                             "Checksum doesn't match: corrupted data in a compressed block of the request body")
            del self._buffer[:end]
            data = _unpack(method, memoryview(block)[HEADER_BYTES:], size)
            if len(data) != size:
                raise _error("CANNOT_DECOMPRESS", "A compressed block of the request body has the wrong size")
            for start in range(0, len(data), PIECE_BYTES):
                yield data[start:start + PIECE_BYTES]

    def finish(self) -> None:
        if self._buffer:
            raise _error("CANNOT_DECOMPRESS", "The request body ends inside a compressed block (truncated)")


class Chain:
    """Two decoders, `outer` (Content-Encoding) first."""

    def __init__(self, outer: Decoder, inner: Decoder) -> None:
        self._outer = outer
        self._inner = inner

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        for piece in self._outer.decode(chunk):
            yield from self._inner.decode(piece)

    def finish(self) -> None:
        self._outer.finish()
        self._inner.finish()
