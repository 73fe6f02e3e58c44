"""SIGTERM as an exit the run can record: schedulers (Slurm, Kubernetes, torchrun) stop a job
with SIGTERM, whose default action ends the process at once, without atexit, so the run would
look crashed and lose what it buffered. While a run is open, and only when SIGTERM still has
its default action (a handler of the user's or a framework's is never replaced), SIGTERM
raises SystemExit(128 + 15) in the main thread: `with Run()` / atexit then flush and store
status 'failed' with failure reason 'signal'. The default action is back once no run is open.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_lock = threading.Lock()
_holders = 0
_installed = False
received: int | None = None  # the signal that is ending the process, for the exit path


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    global received
    received = signum
    raise SystemExit(128 + signum)


def hold() -> bool:
    """Install the handler for one more open run; True when it is (or already was) ours."""
    global _holders, _installed
    with _lock:
        if not _installed:
            if threading.current_thread() is not threading.main_thread():
                return False
            try:
                if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                    return False
                signal.signal(signal.SIGTERM, _raise_exit)
            except (ValueError, OSError):  # not the main interpreter, or no SIGTERM here
                return False
            _installed = True
        _holders += 1
        return True


def release() -> None:
    """One run fewer; the default action comes back with the last one."""
    global _holders, _installed
    with _lock:
        _holders = max(0, _holders - 1)
        if _holders or not _installed:
            return
        try:
            if signal.getsignal(signal.SIGTERM) is _raise_exit:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except (ValueError, OSError):
            return  # not on the main thread: it stays until the process ends (harmless)
        _installed = False


def forget_after_fork() -> None:
    """A forked child has no open run of its own: its SIGTERM ends it as by default."""
    global _holders, _installed, _lock
    _lock = threading.Lock()
    _holders = 0
    if _installed:
        _installed = False
        try:
            if signal.getsignal(signal.SIGTERM) is _raise_exit:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except (ValueError, OSError):
            pass
