"""A request body, decoded per Content-Encoding one bounded piece at a time.

The decoder yields at most `compression.PIECE_BYTES` per step and decodes the next piece
only when `read()` asks, so what a request holds in memory is what its reader keeps: the
INSERT pump hands pieces on to the engine, `read_all` stops at its cap. A body that ends
inside a compressed frame raises CANNOT_DECOMPRESS from the `read()` that reaches the end,
before the caller can take the stream for complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from runwatch.server.embedded.compression import Decoder
from runwatch.server.embedded.errors import EngineError


class Body:
    def __init__(self, chunks: AsyncIterator[bytes], decoder: Decoder) -> None:
        self._chunks = chunks
        self._decoder = decoder
        self._pieces: Iterator[bytes] | None = None
        self.done = False  # the whole body has been read and decoded

    async def read(self) -> bytes | None:
        """The next non-empty decoded piece, or None at the end."""
        while not self.done:
            if self._pieces is not None:
                piece = next(self._pieces, None)
                if piece is not None:
                    return piece
                self._pieces = None
            try:
                raw = await self._chunks.__anext__()
            except StopAsyncIteration:
                self.done = True
                self._decoder.finish()
                return None
            if raw:
                self._pieces = self._decoder.decode(raw)
        return None

    async def read_all(self, into: bytearray, limit: int) -> None:
        """Append the rest of the body to `into`, which may grow to `limit` bytes."""
        while (piece := await self.read()) is not None:
            if len(into) + len(piece) > limit:
                raise EngineError.named("QUERY_IS_TOO_LARGE", f"Query text exceeds {limit} bytes")
            into += piece
