"""MLflow with a local sqlite tracking store: log_metrics(), sync or with synchronous=False.

Option ``mode=sync`` (default) or ``mode=async``. finish = flush_async_logging() (async only)
+ end_run(), so end to end covers the points being in the store.
"""

from __future__ import annotations

import os

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    import mlflow

    asynchronous = opts.get("mode", "sync") == "async"
    mlflow.set_tracking_uri("sqlite:///" + os.path.join(workdir, "mlflow.db"))
    mlflow.set_experiment("bench")
    mlflow.start_run(run_name="bench")
    mlflow.log_params({"lr": 3e-4, "batch_size": 256})
    log_metrics = mlflow.log_metrics

    if asynchronous:

        def log(metrics: dict[str, float], step: int) -> None:
            log_metrics(metrics, step=step, synchronous=False)

        def finish() -> None:
            mlflow.flush_async_logging()
            mlflow.end_run()

    else:

        def log(metrics: dict[str, float], step: int) -> None:
            log_metrics(metrics, step=step)

        def finish() -> None:
            mlflow.end_run()

    return Session(log=log, finish=finish, meta={"version": mlflow.__version__})


if __name__ == "__main__":
    run_standard(setup)
