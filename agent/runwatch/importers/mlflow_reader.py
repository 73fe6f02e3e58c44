"""MLflow runs -> runs, through MLflow's own client (`MlflowClient`), so any store it can open
works: an `mlruns/` directory (the file store), or a tracking URI (`http://...`,
`databricks`, `sqlite:///...` with the full `mlflow` package).

Per run: params as config (MLflow keeps them as strings, and so does the import), the user's
tags as `key=value` tags (MLflow's own `mlflow.*` tags give the name, user and git commit),
status, start and end time, and the full history of every metric (`get_metric_history`:
every step and timestamp, not just the latest value). The run id is `mlflow-<MLflow's id>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runwatch.importers.source import RunHandle, SourceError, SourceRun, derived_run_id

_STATUS = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "failed", "RUNNING": "running",
           "SCHEDULED": "running"}
_PAGE = 1000


def tracking_uri(path_or_uri: str) -> str:
    if "://" in path_or_uri or path_or_uri == "databricks":
        return path_or_uri
    path = Path(path_or_uri)
    if not path.is_dir():
        raise SourceError(f"not a directory or tracking URI: {path_or_uri}")
    return path.resolve().as_uri()


def find_runs(path_or_uri: str, *, project: str | None = None) -> list[RunHandle]:
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(path_or_uri)
    client = MlflowClient(tracking_uri=uri)
    handles: list[RunHandle] = []
    try:
        for experiment in _pages(lambda token: client.search_experiments(
                view_type=ViewType.ALL, max_results=_PAGE, page_token=token)):
            for run in _pages(lambda token, e=experiment.experiment_id: client.search_runs(
                    [e], run_view_type=ViewType.ALL, max_results=_PAGE, page_token=token)):
                label = f"{experiment.name}/{run.info.run_name or run.info.run_id}"

                def read(run: Any = run, experiment: str = experiment.name) -> SourceRun:
                    return read_run(client, run, project=project or experiment, source=uri)

                handles.append(RunHandle(label=label, read=read))
    except MlflowException as exc:
        raise SourceError(f"MLflow at {uri}: {exc.message}") from None
    if not handles:
        raise SourceError(f"no MLflow runs at {uri}")
    return handles


def _pages(fetch: Any) -> Any:
    token = None
    while True:
        page = fetch(token)
        yield from page
        token = page.token
        if not token:
            return


def read_run(client: Any, run: Any, *, project: str, source: str) -> SourceRun:
    from mlflow.exceptions import MlflowException

    from runwatch.importers.source import Problem

    info, data = run.info, run.data
    tags: dict[str, str] = dict(data.tags)
    result = SourceRun(
        run_id=derived_run_id("mlflow", info.run_id), project=project,
        name=info.run_name or tags.get("mlflow.runName", "") or info.run_id, kind="mlflow",
        source=f"{source}#{info.run_id}", user=info.user_id or tags.get("mlflow.user", ""),
        git_commit=tags.get("mlflow.source.git.commit", ""), config=dict(data.params),
        tags=tuple(sorted(f"{k}={v}" for k, v in tags.items() if not k.startswith("mlflow."))),
        status=_STATUS.get(info.status, "finished"), started_ms=info.start_time,
        finished_ms=info.end_time,
    )
    for key in sorted(data.metrics):
        try:
            history = client.get_metric_history(info.run_id, key)
        except MlflowException as exc:
            result.problems.append(Problem(f"{result.source}: metric {key!r}", exc.message))
            continue
        for metric in history:
            # +0.5 ms: the encoder truncates seconds * 1000, which must give back the same ms.
            result.add(key, int(metric.step), (metric.timestamp + 0.5) / 1000.0, float(metric.value))
    return result
