"""`runwatch import tensorboard|mlflow|wandb`: bring another tool's history in, exactly once.

Needs only the agent's install plus the source's reader (`pip install 'runwatch[tensorboard]'`,
`[mlflow]` or `[wandb]`), not the server. Exit codes: 0 everything was imported, 1 something
was skipped (each skipped file, run or metric is listed with the reason), 2 bad input or a
missing extra, 130 interrupted (whole batches only were stored; running the same command
again finishes the job and stores nothing twice).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runwatch.cli.agent import target_arguments, target_kwargs

_SOURCES = {
    "tensorboard": ("LOGDIR", "a TensorBoard log directory: one run per directory of event files"),
    "mlflow": ("PATH_OR_URI", "an mlruns/ directory (MLflow's file store) or any tracking URI"),
    "wandb": ("DIR", "a wandb/ directory of offline or synced runs (run-*.wandb files)"),
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="import runs from TensorBoard, MLflow or W&B",
        description="Import the scalars, config, tags and status of another tool's runs. "
        "Re-running an import stores nothing twice; a run that grew since gets only its new points.",
    )
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    for source, (metavar, text) in _SOURCES.items():
        sub = sources.add_parser(source, help=text, description=f"Import {text}.")
        sub.add_argument("path", metavar=metavar)
        sub.add_argument("--project", help="project of the imported runs (default: the source's)")
        target_arguments(sub)
        sub.set_defaults(handler=_import)


def _handles(args: argparse.Namespace) -> list[Any]:
    if args.source == "tensorboard":
        from runwatch.importers import tensorboard_reader as tensorboard

        return tensorboard.find_runs(Path(args.path), project=args.project)
    if args.source == "mlflow":
        from runwatch.importers import mlflow_reader as mlflow

        if "://" not in args.path and Path(args.path).is_dir():
            # MLflow 3 refuses to open a file store unless asked to; reading one is the point.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        return mlflow.find_runs(args.path, project=args.project)
    from runwatch.importers import wandb_reader as wandb

    return wandb.find_runs(Path(args.path), project=args.project)


def _import(args: argparse.Namespace) -> int:
    from runwatch.config import ConfigError, resolve_target
    from runwatch.importers.source import SourceError

    command = f"runwatch import {args.source}"
    try:
        target = resolve_target(os.environ, **target_kwargs(args))
        handles = _handles(args)
    except (ConfigError, SourceError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        print(f"{command}: needs the '{args.source}' extra ({exc}); install it with: "
              f"pip install 'runwatch[{args.source}]'", file=sys.stderr)
        return 2
    return run_import(command, handles, target)


def run_import(command: str, handles: list[Any], target: Any,
               store_factory: Callable[[Any], Any] | None = None) -> int:
    from runwatch.cli.progress import Progress
    from runwatch.importers.source import SourceError
    from runwatch.importers.store import ImportStore, StoreError

    store = (store_factory or ImportStore)(target)
    try:
        store.check()
    except StoreError as exc:
        store.close()
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    runs = stored = present = 0
    problems: list[str] = []
    progress = Progress(command, total=len(handles), unit="runs")
    try:
        for handle in handles:
            try:
                run = handle.read()
            except SourceError as exc:
                problems.append(f"{handle.label}: {exc}")
                progress.advance(1)
                continue
            problems += map(str, run.problems)
            outcome = store.store(run)
            runs += 1
            stored += outcome.stored
            present += outcome.present
            progress.advance(1, note=f"{stored:,} points stored")
    except KeyboardInterrupt:
        progress.close()
        print(f"{command}: interrupted after {runs} runs ({stored:,} points stored, whole "
              f"batches only); run the same command again to finish", file=sys.stderr)
        return 130
    except StoreError as exc:
        progress.close()
        print(f"{command}: {exc}; stopped after {runs} runs ({stored:,} points stored, whole "
              f"batches only); run the same command again to finish", file=sys.stderr)
        return 1
    finally:
        store.close()
    progress.close()
    for problem in problems:
        print(f"{command}: skipped {problem}", file=sys.stderr)
    print(f"{command}: {runs} runs, {stored:,} points stored, {present:,} already there, "
          f"{len(problems)} skipped -> {target.describe()}", file=sys.stderr)
    return 1 if problems else 0
