"""Console capture: the process's stdout and stderr, teed at the file-descriptor level.

    fd 1 ──▶ pipe (or a pty when fd 1 was a terminal) ──▶ reader thread ──▶ the original fd 1
                                                               └──▶ lines ──▶ sink (run_logs)

Replacing fds 1 and 2 (not sys.stdout) is what catches print(), C extensions writing with
printf/os.write, and subprocesses, which inherit the fds. The reader writes every byte through
to the original fd first, so the terminal shows exactly what it would have. When the original
fd is a terminal, the replacement is a pty with output post-processing off and the terminal's
window size, so `isatty()`, colours and progress bars behave as before.

Lines are assembled like a terminal would (`LineAssembler`): '\\r' returns to column 0 and
later text overwrites, so a tqdm bar redrawn a thousand times is one line in its final state.
ANSI sequences are kept. A line longer than `max_line_chars` is cut with a marker. A token
bucket (`LineRateLimit`) caps the lines stored per second; the terminal still gets them all,
and a marker line says how many were not stored.

Lifecycle: `start()` swaps the fds; `stop(timeout)` flushes Python's streams, puts the original
fds back, reads what is left and emits the last partial line. Children (subprocesses, forked
DataLoader workers) inherit the replaced fds, so their output is captured in order with the
parent's. In a forked child the capture object is inert (`forget_after_fork`: no thread, the
parent's pipes are the parent's). A child that outlives the parent's `stop()` still holds the
pipe: the reader then stays on as a pass-through to the terminal (nothing stored) until the
last writer closes it, so such a child never hits a broken pipe while the parent lives.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import selectors
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

LineSink = Callable[[str, list[str], float], None]  # (stream, lines, time)
MARKER_STREAM = "runwatch"


class LineAssembler:
    """Bytes of one stream in, finished lines out, with terminal '\\r' semantics."""

    def __init__(self, max_line_chars: int = 16_384) -> None:
        self.max_line_chars = max(16, max_line_chars)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._col = 0
        self._overflow = 0  # characters past max_line_chars, not kept

    def feed(self, data: bytes) -> list[str]:
        text = self._decoder.decode(data)
        if "\n" not in text and "\r" not in text:
            self._write(text)
            return []
        if "\r" not in text and self._col == len(self._line):  # the common case, in C
            parts = text.split("\n")
            parts[0] = self._line + parts[0]
            self._line, self._col, tail = "", 0, parts.pop()
            cap, overflow = self.max_line_chars, self._overflow
            if overflow or any(len(p) > cap for p in parts):
                parts = [self._capped(p, overflow if i == 0 else 0) for i, p in enumerate(parts)]
            self._overflow = 0
            self._write(tail)
            return parts
        lines: list[str] = []
        for i, part in enumerate(text.split("\n")):
            if i:
                lines.append(self._finish())
            for j, segment in enumerate(part.split("\r")):
                if j:
                    self._col = 0
                self._write(segment)
        return lines

    def flush(self) -> str | None:
        """The unfinished line, if any (at the end of the capture)."""
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self._write(tail)
        if not self._line and not self._overflow:
            return None
        return self._finish()

    def _write(self, text: str) -> None:
        if not text:
            return
        line, col, cap = self._line, self._col, self.max_line_chars
        if col >= cap:
            self._overflow = max(self._overflow, col + len(text) - cap)
            self._col = col + len(text)
            return
        if col == len(line):
            line += text
        else:
            line = line[:col] + text + line[col + len(text):]
        self._col = col + len(text)
        if len(line) > cap:
            self._overflow = max(self._overflow, len(line) - cap)
            line = line[:cap]
        self._line = line

    def _capped(self, line: str, overflow: int) -> str:
        extra = overflow + max(0, len(line) - self.max_line_chars)
        if not extra:
            return line
        return f"{line[: self.max_line_chars]} …[runwatch: line cut, {extra} more characters]"

    def _finish(self) -> str:
        line = self._line
        if self._overflow:
            line += f" …[runwatch: line cut, {self._overflow} more characters]"
        self._line, self._col, self._overflow = "", 0, 0
        return line


class LineRateLimit:
    """A token bucket: `per_second` lines on average, bursts up to `burst`."""

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.burst = max(1, burst)
        self._clock = clock
        self._tokens = float(self.burst)
        self._last = clock()
        self.dropped_total = 0
        self.dropped_unreported = 0

    def allow(self) -> bool:
        return self.take(1) == 1

    def take(self, wanted: int) -> int:
        """How many of `wanted` lines may be stored now; the rest are counted as dropped."""
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.per_second)
        self._last = now
        granted = min(wanted, int(self._tokens))
        self._tokens -= granted
        self.dropped_total += wanted - granted
        self.dropped_unreported += wanted - granted
        return granted


@dataclass
class _Stream:
    name: str
    fd: int
    saved_fd: int
    read_fd: int
    assembler: LineAssembler
    open: bool = True


@dataclass
class CaptureStats:
    lines: int = 0
    dropped: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)


_owner_lock = threading.Lock()
_owner: ConsoleCapture | None = None  # one capture per process: fds 1 and 2 are the process's


class ConsoleCapture:
    def __init__(
        self,
        sink: LineSink,
        *,
        fds: tuple[tuple[str, int], ...] = (("stdout", 1), ("stderr", 2)),
        max_line_chars: int = 16_384,
        max_lines_per_sec: float = 1_000.0,
        burst_lines: int = 10_000,
        clock: Callable[[], float] = time.time,
        name: str = "runwatch-console",
    ) -> None:
        self._sink = sink
        self._fds = fds
        self._max_line_chars = max_line_chars
        self._limit = LineRateLimit(max_lines_per_sec, burst_lines)
        self._clock = clock
        self._name = name
        self._streams: list[_Stream] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._drained = threading.Event()  # the reader stored what came before stop()
        self._drain_until = 0.0
        self.stats = CaptureStats()

    @property
    def active(self) -> bool:
        return bool(self._streams)

    def start(self) -> bool:
        """Swap the fds and start the reader; False (nothing changed) if they cannot be."""
        global _owner
        with self._lock:
            if self._streams:
                return True
            with _owner_lock:
                if _owner is not None and _owner is not self and _owner.active:
                    self.stats.errors.append("another Run already captures this process's console")
                    return False
                _owner = self
            _flush_python_streams()
            try:
                for stream_name, fd in self._fds:
                    self._streams.append(self._redirect(stream_name, fd))
            except OSError as exc:
                self.stats.errors.append(f"cannot capture the console: {exc}")
                self._restore()
                return False
            self._stopping.clear()
            self._drained.clear()
            self._thread = threading.Thread(target=self._read, name=self._name, daemon=True)
            self._thread.start()
            return True

    def stop(self, timeout: float = 2.0) -> None:
        """Put the original fds back and store what was written before this call."""
        with self._lock:
            if not self._streams:
                return
            _flush_python_streams()
            for stream in self._streams:
                os.dup2(stream.saved_fd, stream.fd)  # our write end closes with it
            self._drain_until = time.monotonic() + timeout
            self._stopping.set()
            self._drained.wait(timeout + 0.5)
            thread, self._thread = self._thread, None
            for stream in self._streams:
                tail = stream.assembler.flush()
                if tail is not None:
                    self._emit(stream.name, [tail])
            self._report_dropped()
            if thread is None or not thread.is_alive():
                self._close_fds()  # else the pass-through reader closes them at its end
            self._streams = []

    def forget_after_fork(self) -> None:
        """In a forked child: inert. Its fds 1 and 2 still reach the parent's reader (so its
        output is captured, in order); the copies of the read ends and saved fds are closed."""
        global _owner
        self._lock = threading.Lock()
        self._thread = None
        self._close_fds()
        self._streams = []
        _owner = None

    # -- inside -----------------------------------------------------------------------------

    def _redirect(self, stream_name: str, fd: int) -> _Stream:
        saved = os.dup(fd)
        try:
            read_fd, write_fd = _pty_for(saved) if os.isatty(saved) else os.pipe()
        except OSError:
            os.close(saved)
            raise
        os.dup2(write_fd, fd)
        os.close(write_fd)
        os.set_inheritable(read_fd, False)
        os.set_inheritable(saved, False)
        return _Stream(stream_name, fd, saved, read_fd, LineAssembler(self._max_line_chars))

    def _restore(self) -> None:
        for stream in self._streams:
            with contextlib.suppress(OSError):
                os.dup2(stream.saved_fd, stream.fd)
        self._close_fds()
        self._streams = []

    def _close_fds(self) -> None:
        for stream in self._streams:
            for fd in (stream.read_fd, stream.saved_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _read(self) -> None:
        selector = selectors.DefaultSelector()
        for stream in self._streams:
            selector.register(stream.read_fd, selectors.EVENT_READ, stream)
        streams = list(self._streams)
        storing = True
        try:
            while selector.get_map():
                events = selector.select(0.05)
                for key, _ in events:
                    stream = key.data
                    if not self._pump(stream, storing):
                        selector.unregister(stream.read_fd)
                if storing and self._stopping.is_set() and (
                    not events or time.monotonic() > self._drain_until
                ):
                    storing = False  # from here on only a pass-through for children
                    self._drained.set()
        except Exception as exc:  # never write to fd 2 from here: it may be our own pipe
            self.stats.errors.append(repr(exc))
        finally:
            selector.close()
            self._drained.set()
            if not storing:
                for stream in streams:
                    for fd in (stream.read_fd, stream.saved_fd):
                        with contextlib.suppress(OSError):
                            os.close(fd)

    def _pump(self, stream: _Stream, storing: bool) -> bool:
        try:
            data = os.read(stream.read_fd, 1 << 16)
        except OSError as exc:
            if exc.errno == errno.EIO:  # a pty whose other side is closed: the end
                return False
            raise
        if not data:
            return False
        _write_all(stream.saved_fd, data)
        if not storing:
            return True
        self.stats.bytes += len(data)
        lines = stream.assembler.feed(data)
        if lines:
            self._emit(stream.name, lines)
        return True

    def _emit(self, stream: str, lines: list[str]) -> None:
        granted = self._limit.take(len(lines))
        if granted:
            # the drop marker goes where the gap was: before the first line stored after it
            self._report_dropped(keep=len(lines) - granted)
            self.stats.lines += granted
            self._sink(stream, lines[:granted], self._clock())

    def _report_dropped(self, keep: int = 0) -> None:
        """A marker for the lines dropped so far, except the `keep` newest (dropped after the
        lines about to be stored, so reported by the next marker)."""
        limit = self._limit
        count = limit.dropped_unreported - keep
        if count > 0:
            limit.dropped_unreported = keep
            self.stats.dropped += count
            self._sink(
                MARKER_STREAM,
                [f"[runwatch] {count} lines dropped (over {limit.per_second:g} lines/s)"],
                self._clock(),
            )



def _pty_for(terminal_fd: int) -> tuple[int, int]:
    """A pty pair (master, slave) that looks like `terminal_fd` to the program: same window
    size, no output post-processing (so '\\n' is not turned into '\\r\\n' twice)."""
    import fcntl
    import termios

    master, slave = os.openpty()
    try:
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        with contextlib.suppress(OSError):
            size = fcntl.ioctl(terminal_fd, termios.TIOCGWINSZ, b"\0" * 8)
            fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
    except Exception:
        os.close(master)
        os.close(slave)
        raise
    return master, slave


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except InterruptedError:
            continue
        except OSError:  # the terminal went away (EPIPE): keep capturing regardless
            return
        view = view[written:]


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()
