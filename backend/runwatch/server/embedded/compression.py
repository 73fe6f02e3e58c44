"""HTTP content codings, both ways: request bodies per Content-Encoding and response bodies
per Accept-Encoding when the request sets enable_http_compression=1.

Request bodies are decoded lazily and in bounded pieces: `Decoder.decode(chunk)` is an
iterator that yields at most `PIECE_BYTES` per step and decompresses the next piece only
when asked, so a body that expands a thousandfold (a "compression bomb") is never held in
memory: the reader stops pulling once its own cap is reached. `Decoder.finish()` fails when
the body ended inside a frame (a truncated or cut-off upload), so a partial stream is never
taken for a complete one.

clickhouse-connect sends lz4 (lz4 frame), zstd, gzip, deflate or br bodies and accepts any
of them back; several frames (members) back to back are one body (it compresses each insert
block on its own). br works when the optional `brotli` package is installed.
"""

from __future__ import annotations

import gzip
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import lz4.frame
import zstandard

from runwatch.server.embedded.errors import EngineError

if sys.version_info >= (3, 14):
    from compression import zstd as _zstd
else:  # the standard library's API, backported (python-zstandard has no max_length)
    from backports import zstd as _zstd

try:  # optional, as in clickhouse-connect
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

PIECE_BYTES = 256 * 1024
ZSTD_WINDOW_LOG_MAX = 25  # 32 MiB: zstd's streaming default is 128 MiB of window per body


def _corrupt(exc: BaseException | str) -> EngineError:
    return EngineError.named("CANNOT_DECOMPRESS", f"Cannot decompress the request body: {exc}")


class Decoder(Protocol):
    def decode(self, chunk: bytes) -> Iterator[bytes]: ...
    def finish(self) -> None: ...


class _Identity:
    def decode(self, chunk: bytes) -> Iterator[bytes]:
        for i in range(0, len(chunk), PIECE_BYTES):
            yield chunk[i:i + PIECE_BYTES]

    def finish(self) -> None:
        pass


class _Frames:
    """Frames of one codec back to back; `new()` makes a decompressor with the standard
    library's bounded API (decompress(data, max_length), eof, unused_data, and either
    needs_input or unconsumed_tail)."""

    def __init__(self, new: Callable[[], Any]) -> None:
        self._new = new
        self._d = new()
        self._started = False  # the current frame has had input but has not ended

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        data = chunk
        while True:
            if data:
                self._started = True
            try:
                out = self._d.decompress(data, PIECE_BYTES)
            except Exception as exc:
                raise _corrupt(exc) from None
            if out:
                yield out
            if self._d.eof:
                data = self._d.unused_data
                self._d, self._started = self._new(), False
                if not data:
                    return
                continue
            data = getattr(self._d, "unconsumed_tail", b"")  # zlib hands input back
            if data:
                continue
            more = not self._d.needs_input if hasattr(self._d, "needs_input") else len(out) == PIECE_BYTES
            if not more:
                return

    def finish(self) -> None:
        if self._started:
            raise _corrupt("the body ends inside a compressed frame (truncated)")


class _Brotli:
    """Needs brotli >= 1.1 (output_buffer_limit); older versions are refused."""

    def __init__(self) -> None:
        self._d: Any = _brotli.Decompressor()

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        data = chunk
        while True:
            try:
                out = self._d.process(data, output_buffer_limit=PIECE_BYTES)
            except Exception as exc:
                raise _corrupt(exc) from None
            data = b""
            if out:
                yield out
            if self._d.is_finished() or self._d.can_accept_more_data():
                return

    def finish(self) -> None:
        if not self._d.is_finished():
            raise _corrupt("the body ends inside a compressed stream (truncated)")


def _zstd_decompressor() -> Any:
    return _zstd.ZstdDecompressor(options={_zstd.DecompressionParameter.window_log_max: ZSTD_WINDOW_LOG_MAX})


def _brotli_bounded() -> bool:
    return _brotli is not None and hasattr(_brotli.Decompressor(), "can_accept_more_data")


def decoder_for(content_encoding: str | None) -> Decoder:
    name = (content_encoding or "").strip().lower()
    if name in ("", "identity", "none"):
        return _Identity()
    if name in ("gzip", "x-gzip"):
        return _Frames(lambda: zlib.decompressobj(16 + zlib.MAX_WBITS))
    if name == "deflate":
        return _Frames(lambda: zlib.decompressobj(zlib.MAX_WBITS))
    if name == "zstd":
        return _Frames(_zstd_decompressor)
    if name == "lz4":
        return _Frames(lz4.frame.LZ4FrameDecompressor)
    if name == "br" and _brotli_bounded():
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


class Encoder(Protocol):
    """A response body compressed as it is produced: `compress` what is ready, `finish` once."""

    def compress(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._c = zlib.compressobj(3, zlib.DEFLATED, wbits)

    def compress(self, data: bytes) -> bytes:
        # a sync flush per block: the client can decode each block as it arrives
        return self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._c.flush(zlib.Z_FINISH)


class _Zstd:
    def __init__(self) -> None:
        self._c = zstandard.ZstdCompressor(level=1).compressobj()

    def compress(self, data: bytes) -> bytes:
        return bytes(self._c.compress(data) + self._c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))

    def finish(self) -> bytes:
        return bytes(self._c.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH))


class _Lz4:
    def __init__(self) -> None:
        self._c = lz4.frame.LZ4FrameCompressor()
        self._begun = False

    def compress(self, data: bytes) -> bytes:
        head = b"" if self._begun else bytes(self._c.begin())
        self._begun = True
        # one frame for the whole body (clients decode a single frame); it emits 64 KiB blocks
        return head + bytes(self._c.compress(data))

    def finish(self) -> bytes:
        head = b"" if self._begun else bytes(self._c.begin())
        self._begun = True
        return head + bytes(self._c.flush())


class _BrotliEncoder:
    def __init__(self) -> None:
        self._c: Any = _brotli.Compressor(quality=3)

    def compress(self, data: bytes) -> bytes:
        return bytes(self._c.process(data) + self._c.flush())

    def finish(self) -> bytes:
        return bytes(self._c.finish())


def encoder_for(encoding: str) -> Encoder:
    if encoding == "gzip":
        return _Zlib(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if encoding == "zstd":
        return _Zstd()
    if encoding == "lz4":
        return _Lz4()
    if encoding == "br" and _brotli is not None:
        return _BrotliEncoder()
    raise ValueError(f"unsupported response encoding {encoding}")


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
