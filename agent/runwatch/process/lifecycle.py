"""Process-life hooks shared by every Run: at exit, and after fork.

Installed once, on the first `Run()` (never at import). An unfinished run is held here until
it finishes, so a run that went out of scope without `finish()` is still flushed at exit.

- At exit: every unfinished run of this process is finished against a deadline, as 'failed'
  when the interpreter is exiting because of an uncaught exception or Ctrl-C (`sys.last_value`
  is set before atexit handlers run), else 'finished'. `sys.exit(n)` cannot be told apart from a
  clean end there; `with Run(...)` sees it and marks a non-zero exit 'failed'. What could not be
  stored is reported on stderr.
- In a forked child (PyTorch DataLoader workers, multiprocessing 'fork'): every run becomes
  inert. Its buffer is emptied (those points are the parent's to send), its locks are new,
  it has no threads, and `log()` does nothing (one warning). The parent is untouched. Forked
  children usually end with os._exit, which skips atexit and would lose anything a child
  buffered anyway; a child that wants its own metrics creates its own `Run`.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Protocol


class _Hooked(Protocol):
    def _at_exit(self, failed: bool) -> None: ...

    def _after_fork_in_child(self) -> None: ...


_runs: set[_Hooked] = set()
_installed = False
_install_lock = threading.Lock()


def track(run: _Hooked) -> None:
    global _installed
    with _install_lock:
        if not _installed:
            atexit.register(_at_exit)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_after_fork_in_child)
            _installed = True
    _runs.add(run)


def untrack(run: _Hooked) -> None:
    _runs.discard(run)


def _at_exit() -> None:
    failed = getattr(sys, "last_value", None) is not None
    for run in list(_runs):
        run._at_exit(failed)


def _after_fork_in_child() -> None:
    global _install_lock
    _install_lock = threading.Lock()
    runs = list(_runs)
    _runs.clear()  # the parent's runs are not this process's to finish
    for run in runs:
        run._after_fork_in_child()
