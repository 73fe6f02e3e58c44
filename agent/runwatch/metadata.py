"""What a run says about itself in the `runs` table: who, where, which code, which config.

Collected once when the run starts (a couple of milliseconds; `git` only runs inside a
checkout, with a short timeout). The row is written at start with status 'running' and again
at the end with 'finished' or 'failed'; `runs` is a ReplacingMergeTree on `updated_at`, so the
newest row wins without a mutation.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import platform
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runwatch.process.failure import Failure
from runwatch.write.encode import RunRow

# Packages whose versions are worth recording, when the training process has imported them.
_PACKAGES = ("torch", "numpy", "jax", "tensorflow", "transformers", "lightning",
             "pytorch_lightning", "accelerate", "deepspeed", "clickhouse_connect", "psutil")


@dataclass(frozen=True, slots=True)
class GitInfo:
    commit: str = ""
    dirty: bool = False


def git_info(cwd: Path, timeout: float = 2.0) -> GitInfo:
    """HEAD and whether tracked files changed, when `cwd` is inside a git checkout."""
    if not any((parent / ".git").exists() for parent in (cwd, *cwd.parents)):
        return GitInfo()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
            timeout=timeout, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
            capture_output=True, text=True, timeout=timeout, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return GitInfo()
    return GitInfo(commit=commit, dirty=bool(status.strip()))


def package_versions(modules: Mapping[str, Any]) -> dict[str, str]:
    versions = {}
    for name in _PACKAGES:
        module = modules.get(name)
        version = getattr(module, "__version__", None) if module is not None else None
        if version:
            versions[name] = str(version)
    return versions


def _json_safe(value: Any) -> Any:
    """Config values as JSON: non-finite floats become strings, unknown objects their str()."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            return _json_safe(item())
        except Exception:
            pass
    return str(value)


def config_json(config: Mapping[str, Any] | None) -> str:
    return json.dumps(_json_safe(dict(config or {})), sort_keys=True, allow_nan=False)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return str(os.getuid()) if hasattr(os, "getuid") else ""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class RunMetadata:
    """The start row; `finished(...)` derives the final one."""

    row: RunRow

    @classmethod
    def collect(
        cls,
        *,
        run_id: str,
        project: str,
        name: str,
        config: Mapping[str, Any] | None,
        tags: Sequence[str],
        host: str,
        rank: int,
        world_size: int | None,
        cwd: Path,
        argv: Sequence[str],
        modules: Mapping[str, Any],
    ) -> RunMetadata:
        git = git_info(cwd)
        env = {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "packages": package_versions(modules),
            "argv": list(argv),
            "pid": os.getpid(),
            "cwd": str(cwd),
            "rank": rank,
            "world_size": world_size,
        }
        started = now_ms()
        return cls(
            RunRow(
                run_id=run_id, project=project, name=name, config_json=config_json(config),
                tags=tuple(str(t) for t in tags), host=host, user=_user(),
                git_commit=git.commit, git_dirty=git.dirty,
                env_json=json.dumps(env, sort_keys=True, default=str), status="running",
                started_at_ms=started, finished_at_ms=None, updated_at_ms=started,
                heartbeat_at_ms=started,
            )
        )

    def finished(self, status: str, failure: Failure | None = None) -> RunRow:
        end = max(now_ms(), self.row.updated_at_ms + 1)  # must sort after the start row
        row = replace(self.row, status=status, finished_at_ms=end, updated_at_ms=end)
        if failure is not None:
            row = replace(row, failure_reason=failure.reason, failure_type=failure.type,
                          failure_message=failure.message)
        return row

    def heartbeat(self) -> RunMetadata:
        """The row again with heartbeat_at = now: the server tells a live run from a vanished
        process by it (sql/006_run_health.sql)."""
        beat = max(now_ms(), self.row.updated_at_ms + 1)
        return RunMetadata(replace(self.row, heartbeat_at_ms=beat, updated_at_ms=beat))

    def with_config(self, config: Mapping[str, Any]) -> RunMetadata:
        return RunMetadata(replace(self.row, config_json=config_json(config),
                                   updated_at_ms=max(now_ms(), self.row.updated_at_ms + 1)))
