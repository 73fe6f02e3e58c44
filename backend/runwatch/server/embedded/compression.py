"""HTTP content codings, both ways: request bodies per Content-Encoding (decoded chunk by
chunk, so an INSERT body of any size is held in memory one chunk at a time) and response
bodies per Accept-Encoding when the request sets enable_http_compression=1.

clickhouse-connect sends lz4 (lz4 frame), zstd, gzip, deflate or br bodies and accepts any
of them back; br works when the optional `brotli` package is installed.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any, Protocol

import lz4.frame
import zstandard

from runwatch.server.embedded.errors import EngineError

try:  # optional, as in clickhouse-connect
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None


class Decoder(Protocol):
    def decode(self, chunk: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


class _Identity:
    def decode(self, chunk: bytes) -> bytes:
        return chunk

    def flush(self) -> bytes:
        return b""


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._d = zlib.decompressobj(wbits)

    def decode(self, chunk: bytes) -> bytes:
        out = bytearray()
        while chunk:  # gzip allows several members back to back
            out += self._d.decompress(chunk)
            if not self._d.eof:
                break
            chunk = self._d.unused_data
            if chunk:
                self._d = zlib.decompressobj(self._wbits)
        return bytes(out)

    def flush(self) -> bytes:
        out = self._d.flush()
        if not self._d.eof:
            raise zlib.error("truncated stream")
        return out


class _Zstd:
    def __init__(self) -> None:
        # clickhouse-connect compresses each insert block as its own frame
        self._d = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)

    def decode(self, chunk: bytes) -> bytes:
        return bytes(self._d.decompress(chunk))

    def flush(self) -> bytes:
        return b""


class _Lz4Frame:
    """lz4 frames, possibly several back to back (one per insert block)."""

    def __init__(self) -> None:
        self._d = lz4.frame.LZ4FrameDecompressor()

    def decode(self, chunk: bytes) -> bytes:
        out = bytearray()
        while chunk:
            out += self._d.decompress(chunk)
            if not self._d.eof:
                break
            chunk = self._d.unused_data
            self._d = lz4.frame.LZ4FrameDecompressor()
        return bytes(out)

    def flush(self) -> bytes:
        return b""


class _Brotli:
    def __init__(self) -> None:
        self._d: Any = _brotli.Decompressor()

    def decode(self, chunk: bytes) -> bytes:
        return bytes(self._d.process(chunk))

    def flush(self) -> bytes:
        return b""


def decoder_for(content_encoding: str | None) -> Decoder:
    name = (content_encoding or "").strip().lower()
    if name in ("", "identity", "none"):
        return _Identity()
    if name in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if name == "zstd":
        return _Zstd()
    if name == "lz4":
        return _Lz4Frame()
    if name == "br" and _brotli is not None:
        return _Brotli()
    raise EngineError.named("UNKNOWN_COMPRESSION_METHOD", f"Unknown Content-Encoding: {name}")


RESPONSE_ENCODINGS = ("zstd", "gzip", "deflate", "lz4") + (("br",) if _brotli is not None else ())


def choose_encoding(accept_encoding: str | None) -> str | None:
    """The first coding in the client's Accept-Encoding list that the server supports."""
    for item in (accept_encoding or "").split(","):
        name = item.split(";")[0].strip().lower()
        if name in RESPONSE_ENCODINGS:
            return name
    return None


def encode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=3)
    if encoding == "deflate":
        return zlib.compress(body, 3)
    if encoding == "zstd":
        return bytes(zstandard.ZstdCompressor(level=1).compress(body))
    if encoding == "lz4":
        return bytes(lz4.frame.compress(body))
    if encoding == "br" and _brotli is not None:
        return bytes(_brotli.compress(body, quality=3))
    raise ValueError(f"unsupported response encoding {encoding}")
