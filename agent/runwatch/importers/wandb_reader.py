"""W&B run directories (`offline-run-*/run-<id>.wandb`, also left behind by synced runs) -> runs.

A `.wandb` file is a LevelDB-style log (32 KiB blocks of CRC-32-checked FULL/FIRST/MIDDLE/LAST
fragments after a 7-byte `:W&B` header) of `wandb_internal_pb2.Record` protobufs. The records
are decoded with wandb's own protobuf classes. The framing is read here: wandb's Python reader
(`wandb.sdk.internal.datastore`) went away when its internals moved to the Go `wandb-core`
binary, which offers no reading API, and the framing is forty lines.

Per run: the run record (id, project, name, tags, host, start time, git commit), config (later
config records update it), history rows (every numeric key at `_step` with `_timestamp`;
nested keys are joined with '.'), the final summary (kept in the config under
`wandb_summary`, since the runs table has no summary column) and the exit code (0 finished,
else failed; no exit record, i.e. a crashed process, failed). The run id is `wandb-<W&B's id>`.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from runwatch.importers.source import Problem, RunHandle, SourceError, SourceRun, derived_run_id

_HEADER = struct.pack("<4sHB", b":W&B", 0xBEE1, 0)
_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_CRC = [zlib.crc32(bytes([kind])) for kind in range(5)]
_INTERNAL = ("_step", "_timestamp", "_runtime", "_wandb")


class CorruptLog(Exception):
    pass


def records(data: bytes) -> Iterator[bytes]:
    """The records of a `.wandb` file's bytes; CorruptLog where the framing breaks."""
    if data[:7] != _HEADER:
        raise CorruptLog("not a W&B run file (bad header)")
    offset, pending = 7, None
    while offset < len(data):
        left = _BLOCK - offset % _BLOCK
        if left < 7:  # a block's tail too short for a fragment header is zero padding
            offset += left
            continue
        if offset + 7 > len(data):
            raise CorruptLog(f"truncated fragment header at byte {offset}")
        checksum, length, kind = struct.unpack_from("<IHB", data, offset)
        body = data[offset + 7: offset + 7 + length]
        if kind == 0 and length == 0 and checksum == 0:  # zeroed tail of a preallocated block
            offset += left
            continue
        if len(body) < length or kind > _LAST or zlib.crc32(body, _CRC[kind]) != checksum:
            raise CorruptLog(f"bad checksum or length at byte {offset}")
        offset += 7 + length
        if kind == _FULL:
            yield body
        elif kind == _FIRST:
            pending = body
        elif pending is None:
            raise CorruptLog(f"fragment without a start at byte {offset}")
        elif kind == _MIDDLE:
            pending += body
        else:
            yield pending + body
            pending = None


def find_runs(directory: Path, *, project: str | None = None) -> list[RunHandle]:
    from wandb.proto import wandb_internal_pb2  # noqa: F401  (fail early without wandb)

    if not directory.is_dir():
        raise SourceError(f"not a directory: {directory}")
    files = sorted(directory.rglob("run-*.wandb"))
    if not files:
        raise SourceError(f"no W&B run files (run-*.wandb) under {directory}")
    return [RunHandle(label=path.parent.name, read=partial(read_run, path, project=project))
            for path in files]


def _key(item: Any) -> str:
    return ".".join(item.nested_key) if item.nested_key else str(item.key)


def read_run(path: Path, *, project: str | None = None) -> SourceRun:
    from google.protobuf.message import DecodeError
    from wandb.proto import wandb_internal_pb2

    run = SourceRun(run_id=derived_run_id("wandb", path.stem.removeprefix("run-")),
                    project=project or "wandb", name=path.parent.name, kind="wandb",
                    source=str(path), status="failed")
    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    problems: list[Problem] = []
    try:
        for raw in records(path.read_bytes()):
            record = wandb_internal_pb2.Record()  # type: ignore[attr-defined]
            try:
                record.ParseFromString(raw)
            except DecodeError as exc:
                problems.append(Problem(str(path), f"a record is not a W&B record: {exc}"))
                continue
            kind = record.WhichOneof("record_type")
            if kind == "run":
                _read_run_record(record.run, run, config, project)
            elif kind == "config":
                _update(config, record.config.update, record.config.remove)
            elif kind == "summary":
                _update(summary, record.summary.update, record.summary.remove)
            elif kind == "history":
                _read_history(record.history, run)
            elif kind == "exit":
                run.status = "finished" if record.exit.exit_code == 0 else "failed"
    except CorruptLog as exc:
        problems.append(Problem(str(path), f"{exc}; the rest of this file was skipped"))
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot read: {exc}"))
    for key in _INTERNAL:
        config.pop(key, None)
        summary.pop(key, None)
    if summary:
        config["wandb_summary"] = summary
    run.config = config
    run.problems[:0] = problems
    return run


def _read_run_record(record: Any, run: SourceRun, config: dict[str, Any], project: str | None) -> None:
    run.run_id = derived_run_id("wandb", record.run_id)
    run.project = project or record.project or "wandb"
    run.name = record.display_name or record.run_id
    run.tags = tuple(record.tags)
    run.host = record.host or run.host
    run.git_commit = record.git.commit
    if record.HasField("start_time"):
        run.started_ms = record.start_time.seconds * 1000 + record.start_time.nanos // 1_000_000
    _update(config, record.config.update, ())


def _update(target: dict[str, Any], updates: Any, removes: Any) -> None:
    for item in updates:
        try:
            target[_key(item)] = json.loads(item.value_json)
        except ValueError:
            target[_key(item)] = item.value_json
    for item in removes:
        target.pop(_key(item), None)


def _read_history(history: Any, run: SourceRun) -> None:
    values: dict[str, Any] = {}
    for item in history.item:
        try:
            values[_key(item)] = json.loads(item.value_json)
        except ValueError:
            continue
    step = values.get("_step", history.step.num)
    when = values.get("_timestamp")
    if not isinstance(step, int) or not isinstance(when, int | float):
        return
    for key, value in values.items():
        if key.startswith("_") or isinstance(value, bool) or not isinstance(value, int | float):
            continue  # media, tables and histograms are dicts; W&B's own keys start with _
        run.add(key, step, float(when), float(value))
