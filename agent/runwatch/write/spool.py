"""The on-disk spool: batches ClickHouse could not take yet, oldest first, bounded in bytes.

One file per batch, `NNNNNNNNNNNN.rwb`, written to a `.tmp` name, fsynced and renamed, so a
process killed mid-write (kill -9) leaves either a whole batch or a stray `.tmp` that is
ignored and removed. A file is a tiny header and the insert body itself:

    b"RWSPOOL1" | u32 header length | header (JSON: table, columns, database, token, points)
                | u32 crc32(body) | u64 body length | body (ClickHouse Native block)

so a replay sends the bytes as they are, with the batch's original deduplication token. The
body is lz4-compressed (sent with Content-Encoding: lz4, which ClickHouse decodes), a third of
the size of the raw block. A file whose checksum or lengths do not match is renamed
`*.corrupt` and skipped, loudly.

Each writing process owns one directory (`<root>/<run_id>/<host>-<pid>-<start>`) and holds an
flock on `.lock` in it while alive, so `runwatch agent --replay` never races a live writer; the
kernel drops the lock when the process dies, however it dies. When the spool would exceed
`max_bytes`, its oldest batches are deleted and their points counted as dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import struct
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from runwatch.write.batch import Batch

log = logging.getLogger(__name__)

MAGIC = b"RWSPOOL1"
SUFFIX = ".rwb"
CORRUPT_SUFFIX = ".corrupt"  # a batch set aside: unreadable, its points lost
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class SpoolError(RuntimeError):
    """A spool file is unreadable, or a spool directory is held by a live process."""


def encode_file(batch: Batch) -> bytes:
    header = json.dumps(
        {
            "table": batch.table,
            "columns": list(batch.columns),
            "database": batch.database,
            "token": batch.token,
            "points": batch.points,
            "encoding": batch.encoding,
        },
        separators=(",", ":"),
    ).encode()
    return b"".join(
        (
            MAGIC,
            _U32.pack(len(header)),
            header,
            _U32.pack(zlib.crc32(batch.body)),
            _U64.pack(len(batch.body)),
            batch.body,
        )
    )


def decode_file(data: bytes) -> Batch:
    try:
        if data[:8] != MAGIC:
            raise SpoolError("not a runwatch spool file")
        (header_length,) = _U32.unpack_from(data, 8)
        header = json.loads(data[12 : 12 + header_length])
        position = 12 + header_length
        crc, body_length = _U32.unpack_from(data, position)[0], _U64.unpack_from(data, position + 4)[0]
        body = data[position + 12 :]
        if len(body) != body_length or zlib.crc32(body) != crc:
            raise SpoolError("truncated or corrupt body")
        return Batch(
            table=str(header["table"]),
            columns=tuple(header["columns"]),
            body=body,
            points=int(header["points"]),
            database=str(header["database"]),
            token=str(header["token"]),
            encoding=header.get("encoding"),
        )
    except (struct.error, ValueError, KeyError, TypeError) as exc:
        raise SpoolError(f"unreadable spool file: {exc}") from exc


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    size: int
    points: int


class Spool:
    """The spool directory of one process. Created on first use; `close()` removes it if empty."""

    def __init__(self, directory: Path, *, max_bytes: int, fsync: bool = True) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.fsync = fsync
        self._entries: deque[_Entry] = deque()
        self._bytes = 0
        self._next = 0
        self._lock_fd: int | None = None
        self.dropped_points = 0  # deleted to stay under max_bytes, ever
        self.written_points = 0  # spooled by this process, ever

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._lock_fd is not None

    def open(self) -> Spool:
        """Create/lock the directory and index the batches already in it (oldest first)."""
        if self._lock_fd is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolError(f"{self.directory} is in use by a live process") from None
        self._lock_fd = fd
        for stray in self.directory.glob("*.tmp"):
            stray.unlink(missing_ok=True)
        for path in sorted(self.directory.glob("*" + SUFFIX)):
            try:
                points = _points_of(path)
            except SpoolError as exc:
                self._quarantine(path, exc)
                continue
            self._entries.append(_Entry(path, path.stat().st_size, points))
            self._bytes += path.stat().st_size
            self._next = max(self._next, int(path.stem) + 1)
        return self

    def close(self) -> None:
        """Release the lock; remove the directory when nothing is left in it."""
        if self._lock_fd is None:
            return
        if not self._entries:
            with contextlib.suppress(OSError):
                (self.directory / ".lock").unlink()
                self.directory.rmdir()
                self.directory.parent.rmdir()  # the run's directory, if this was its last
        os.close(self._lock_fd)
        self._lock_fd = None

    def forget_after_fork(self) -> None:
        """In a forked child: the lock and files belong to the parent. Closing the child's
        copy of the lock descriptor keeps the parent's lock; the parent's copy holds it."""
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
        self._lock_fd = None
        self._entries = deque()
        self._bytes = 0

    # -- batches --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    @property
    def points(self) -> int:
        return sum(entry.points for entry in self._entries)

    def put(self, batch: Batch) -> int:
        """Store `batch` as the newest; returns the points dropped to stay under max_bytes."""
        self.open()
        data = encode_file(compressed(batch))
        dropped = 0
        while self._entries and self._bytes + len(data) > self.max_bytes:
            dropped += self._remove_oldest()
        if len(data) > self.max_bytes:
            self.dropped_points += dropped + batch.points
            return dropped + batch.points
        path = self.directory / f"{self._next:012d}{SUFFIX}"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            handle.write(data)
            if self.fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
        self._next += 1
        self._entries.append(_Entry(path, len(data), batch.points))
        self._bytes += len(data)
        self.written_points += batch.points
        self.dropped_points += dropped
        return dropped

    def oldest(self) -> Batch | None:
        """The oldest readable batch (corrupt files are set aside on the way)."""
        while self._entries:
            entry = self._entries[0]
            try:
                return decode_file(entry.path.read_bytes())
            except (SpoolError, OSError) as exc:
                self._entries.popleft()
                self._bytes -= entry.size
                self._quarantine(entry.path, exc)
        return None

    def pop(self) -> None:
        """Delete the oldest batch (it is stored)."""
        entry = self._entries.popleft()
        self._bytes -= entry.size
        entry.path.unlink(missing_ok=True)

    def _remove_oldest(self) -> int:
        entry = self._entries.popleft()
        self._bytes -= entry.size
        entry.path.unlink(missing_ok=True)
        if not self.dropped_points:
            log.warning("runwatch: spool %s is full (%d bytes): dropping its oldest batches "
                        "(counted in agent.points_dropped)", self.directory, self.max_bytes)
        return entry.points

    def _quarantine(self, path: Path, exc: Exception) -> None:
        log.error("runwatch spool: setting aside %s: %s", path, exc)
        with contextlib.suppress(OSError):
            path.rename(path.with_suffix(CORRUPT_SUFFIX))

    def set_aside(self) -> SetAside:
        """The batches in this directory set aside as corrupt (now or by an earlier process):
        their points are unrecoverable."""
        found = SetAside()
        for path in sorted(self.directory.glob("*" + CORRUPT_SUFFIX)):
            found.batches += 1
            try:
                found.points += _points_of(path)
            except (SpoolError, OSError):
                found.unknown += 1  # even the header is gone: how many points is unknown
        return found


@dataclass
class SetAside:
    batches: int = 0
    points: int = 0  # in the batches whose header is still readable
    unknown: int = 0  # batches whose point count cannot be read


def compressed(batch: Batch) -> Batch:
    """`batch` with an lz4-frame body (HTTP Content-Encoding: lz4; about a third of the size
    of a Native block of points), or as it is when lz4 is not installed."""
    if batch.encoding is not None:
        return batch
    try:
        import lz4.frame
    except ImportError:  # clickhouse-connect needs lz4 below Python 3.14 only
        return batch
    return replace(batch, body=bytes(lz4.frame.compress(batch.body)), encoding="lz4")


def _points_of(path: Path) -> int:
    with open(path, "rb") as handle:
        head = handle.read(12)
        if head[:8] != MAGIC or len(head) < 12:
            raise SpoolError("not a runwatch spool file")
        (length,) = _U32.unpack_from(head, 8)
        try:
            return int(json.loads(handle.read(length))["points"])
        except (ValueError, KeyError) as exc:
            raise SpoolError(f"bad header: {exc}") from exc


def spool_directories(root: Path) -> Iterator[Path]:
    """Every directory under `root` (itself included) that holds spooled batches."""
    root = Path(root)
    seen: set[Path] = set()
    paths = [*root.rglob("*" + SUFFIX), *root.rglob("*" + CORRUPT_SUFFIX)]
    for path in sorted(paths, key=lambda p: (p.parent, p.name)):
        if path.parent not in seen:
            seen.add(path.parent)
            yield path.parent
