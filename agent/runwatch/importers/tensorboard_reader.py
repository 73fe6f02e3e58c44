"""TensorBoard event files -> runs: one run per directory that holds `*tfevents*` files.

Read with the `tensorboard` package itself, without TensorFlow: its record reader
(`compat.tensorflow_stub.pywrap_tensorflow.PyRecordReader_New`, which checks every record's
masked CRC-32C), its `Event` protobuf, `data_compat.migrate_value` (which turns the old
`simple_value` scalars that tensorboardX and torch write into the tensor form TF 2 writes) and
the hparams plugin's parser. Not `EventFileLoader`: it stops at a corrupt record with a debug
log line, and an import must say which file it could not read. Not tbparse: it adds pandas
and returns frames without the hparams.

- Every scalar (`scalars` plugin, any dtype) of every event file, every step, with its wall
  time. Other plugins (images, histograms, text) are not imported yet.
- hparams: the session_start_info of the run's own files become the run's config; torch's and
  tensorboardX's `add_hparams` write them to a child directory of the run, so a run without
  hparams of its own takes those of its direct children.
- The run id hashes the earliest event file's name (it holds the writer's start time, host and
  pid) with the directory's name: the same run gets the same id when the log directory is
  moved or imported from a different root.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runwatch.importers.source import Problem, RunHandle, SourceError, SourceRun, derived_run_id

_SESSION_STATUS = {1: "finished", 2: "failed", 3: "running"}  # hparams api_pb2.Status


def find_runs(logdir: Path, *, project: str | None = None) -> list[RunHandle]:
    from tensorboard.compat.proto import event_pb2  # noqa: F401  (fail early without tensorboard)

    if not logdir.is_dir():
        raise SourceError(f"not a directory: {logdir}")
    by_dir: dict[Path, list[Path]] = {}
    for path in logdir.rglob("*tfevents*"):
        if path.is_file():
            by_dir.setdefault(path.parent, []).append(path)
    if not by_dir:
        raise SourceError(f"no TensorBoard event files (*tfevents*) under {logdir}")
    root = logdir.resolve()
    chosen_project = project or root.name or "tensorboard"
    handles = []
    for directory in sorted(by_dir):
        files = sorted(by_dir[directory])
        children = [d for d in by_dir if d.parent == directory]
        relative = directory.resolve().relative_to(root).as_posix()
        name = root.name if relative == "." else relative

        def read(directory: Path = directory, files: list[Path] = files, name: str = name,
                 children: list[Path] = children) -> SourceRun:
            return read_run(directory, files, name=name, project=chosen_project,
                            children=[(c, sorted(by_dir[c])) for c in children])

        handles.append(RunHandle(label=name, read=read))
    return handles


def read_run(directory: Path, files: list[Path], *, name: str, project: str,
             children: Sequence[tuple[Path, list[Path]]] = ()) -> SourceRun:
    run = SourceRun(
        run_id=derived_run_id("tb", f"{directory.name}/{files[0].name}"),
        project=project, name=name, kind="tensorboard", source=str(directory),
        host=_host_of(files[0].name),
    )
    hparams: dict[str, Any] = {}
    for path in files:
        _read_file(path, run, hparams)
    if not hparams:
        for _, child_files in children:
            scratch = SourceRun(run_id="", project="", name="", kind="", source="")
            for path in child_files:
                _read_file(path, scratch, hparams, scalars=False)
            hparams.pop("_status", None)
    status = hparams.pop("_status", None)
    if isinstance(status, str):
        run.status = status
    run.config = hparams
    return run


def _host_of(filename: str) -> str:
    # events.out.tfevents.<seconds>.<host>[.<pid>.<n>]: the host may itself contain dots.
    parts = filename.split(".")
    if len(parts) >= 5 and parts[2] == "tfevents":
        tail = parts[4:]
        while len(tail) > 1 and tail[-1].isdigit():
            tail = tail[:-1]
        return ".".join(tail) or "import"
    return "import"


def _read_file(path: Path, run: SourceRun, hparams: dict[str, Any], *, scalars: bool = True) -> None:
    from google.protobuf.message import DecodeError
    from tensorboard import data_compat
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow
    from tensorboard.util import tensor_util

    try:
        reader = pywrap_tensorflow.PyRecordReader_New(str(path))
    except Exception as exc:  # unreadable: permissions, vanished, ...
        run.problems.append(Problem(str(path), f"cannot open: {exc}"))
        return
    records = 0
    try:
        while True:
            try:
                reader.GetNext()
            except errors.OutOfRangeError:
                break
            except errors.DataLossError as exc:
                run.problems.append(Problem(
                    str(path), f"corrupt or truncated after {records} records "
                    f"({exc.message}); the rest of this file was skipped"))
                break
            records += 1
            try:
                event = event_pb2.Event.FromString(reader.record())
            except DecodeError as exc:
                run.problems.append(Problem(str(path), f"record {records} is not an Event: {exc}"))
                continue
            if not event.HasField("summary"):
                continue
            for raw in event.summary.value:
                if raw.WhichOneof("value") == "simple_value":  # what migrate_value would say
                    if scalars:
                        run.add(raw.tag, event.step, event.wall_time, raw.simple_value)
                    continue
                value = data_compat.migrate_value(raw)
                plugin = value.metadata.plugin_data.plugin_name
                if plugin == "scalars" and scalars:
                    try:
                        number = float(tensor_util.make_ndarray(value.tensor).item())
                    except (ValueError, TypeError) as exc:
                        run.problems.append(Problem(
                            f"{path}: tag {value.tag!r}", f"not a scalar at step {event.step}: {exc}"))
                        continue
                    run.add(value.tag, event.step, event.wall_time, number)
                elif plugin == "hparams":
                    _read_hparams(value.metadata.plugin_data.content, hparams)
    finally:
        reader.file_handle.close()


def _read_hparams(content: bytes, hparams: dict[str, Any]) -> None:
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    kind = data.WhichOneof("data")
    if kind == "session_start_info":
        for key, value in data.session_start_info.hparams.items():
            field = value.WhichOneof("kind")
            if field == "number_value":
                number = value.number_value
                hparams[key] = int(number) if number.is_integer() else number
            elif field in ("string_value", "bool_value"):
                hparams[key] = getattr(value, field)
    elif kind == "session_end_info" and data.session_end_info.status in _SESSION_STATUS:
        hparams["_status"] = _SESSION_STATUS[data.session_end_info.status]
