"""MLflow with a local sqlite tracking store: log_metrics(), sync or with synchronous=False.

Option ``mode=sync`` (default) or ``mode=async``. finish = flush_async_logging() (async only)
+ end_run(), so end to end covers the points being in the store.
"""

from __future__ import annotations

import os
import sqlite3

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    import mlflow

    asynchronous = opts.get("mode", "sync") == "async"
    mlflow.set_tracking_uri("sqlite:///" + os.path.join(workdir, "mlflow.db"))
    mlflow.set_experiment("bench")
    run_id = mlflow.start_run(run_name="bench").info.run_id
    db_path = os.path.join(workdir, "mlflow.db")
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

    def count_stored() -> int:
        with sqlite3.connect(db_path) as db:
            return int(
                db.execute("SELECT count(*) FROM metrics WHERE run_uuid = ?", (run_id,)).fetchone()[
                    0
                ]
            )

    return Session(
        log=log, finish=finish, meta={"version": mlflow.__version__}, count_stored=count_stored
    )


if __name__ == "__main__":
    run_standard(setup)
