"""runwatch: live observability for ML training, stored in ClickHouse.

    import runwatch

    with runwatch.Run(project="vision", config={"lr": 3e-4}) as run:
        for step in range(steps):
            run.log({"train/loss": loss}, step=step)

or, W&B-style, one current run per process: `runwatch.init(...)`, `runwatch.log(...)`,
`runwatch.finish()`. Importing this package starts no thread, opens no file or socket and
imports nothing of the server (runwatch.server: fastapi, uvicorn, chDB); `Run()` starts the
agent's threads.
"""

from __future__ import annotations

# In a checkout, runwatch.server lives in backend/runwatch/ beside this agent/runwatch/
# (both folders on sys.path, see pyproject.toml); in a wheel both are one folder and this
# finds nothing more.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

from runwatch.current import current, finish, init, log  # noqa: E402
from runwatch.histogram import Histogram  # noqa: E402
from runwatch.media import Image  # noqa: E402
from runwatch.run import Run  # noqa: E402
from runwatch.values import MetricWarning  # noqa: E402

__all__ = ["Histogram", "Image", "MetricWarning", "Run", "current", "finish", "init", "log"]
