"""`runwatch.init / log / finish`: one current run per process, for scripts that want no object.

    import runwatch
    runwatch.init(project="vision", config={"lr": 3e-4})
    runwatch.log({"train/loss": loss}, step=step)
    runwatch.finish()

`init()` while a run is current returns that run unchanged when it is called with no
arguments or `reinit=False` and nothing new, W&B's habit for notebooks that re-execute a
cell; with arguments that ask for a different run it finishes the current one first, so a
sweep in one process gets one run per call. `log()` before `init()` warns once and does
nothing: a training script never dies because tracking was not set up.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from typing import Any

from runwatch.run import Run

_lock = threading.Lock()
_current: Run | None = None


def init(project: str = "", name: str | None = None, config: Mapping[str, Any] | None = None,
         *, reinit: bool | None = None, **options: Any) -> Run:
    """Start the current run (arguments as `Run(...)`), or return the one already current.

    reinit: True finishes the current run and starts a new one; False returns the current
    run whatever the arguments; None (default) starts a new run only when arguments were given.
    """
    global _current
    with _lock:
        run = _current
        if run is not None and not run.finished:
            asked_for_new = bool(project or name or config or options)
            if reinit is False or (reinit is None and not asked_for_new):
                return run
            run.finish()
        _current = Run(project=project, name=name, config=config, **options)
        return _current


def current() -> Run | None:
    """The run `init()` started, while it is not finished."""
    run = _current
    return run if run is not None and not run.finished else None


def log(data: Mapping[str, Any], step: int | None = None) -> None:
    run = current()
    if run is None:
        warnings.warn("runwatch.log() before runwatch.init(): nothing is recorded",
                      RuntimeWarning, stacklevel=2)
        return
    run.log(data, step=step)


def finish(status: str = "finished", timeout: float | None = 30.0) -> None:
    """Finish the current run, if there is one (idempotent)."""
    global _current
    with _lock:
        run, _current = _current, None
    if run is not None:
        run.finish(status, timeout=timeout)
