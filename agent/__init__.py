"""runwatch agent: log training metrics to ClickHouse without slowing training.

    from agent import Run

    with Run(project="vision", config={"lr": 3e-4}) as run:
        for step in range(steps):
            run.log({"train/loss": loss}, step=step)

Importing this package starts no thread and opens no file or socket; `Run()` does.
"""

from __future__ import annotations

from agent.run import Run
from agent.values import MetricWarning

__all__ = ["MetricWarning", "Run"]
