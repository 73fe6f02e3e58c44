"""Where the agent sends its data and who it is, resolved once at the edge.

`Run()` and the CLI call `resolve_target` / `resolve_identity` with `os.environ` and their
explicit arguments; everything below receives the frozen results. An explicit argument always
beats the environment (CH_HOST, CH_PORT, CH_PROTOCOL, CH_DATABASE, CH_USER, CH_PASSWORD,
RUNWATCH_RUN_ID, RANK, LOCAL_RANK, RUNWATCH_SPOOL_DIR), which beats the defaults. No pydantic:
the agent ships into training environments with only its three light dependencies.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

NO_DEVICE = 65535
DEFAULT_DATABASE = "training_observability"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


class ConfigError(ValueError):
    """An argument or environment variable has a value the agent cannot use."""


@dataclass(frozen=True, slots=True)
class ClickHouseTarget:
    host: str = "127.0.0.1"
    port: int = 8123
    protocol: str = "http"
    database: str = DEFAULT_DATABASE
    user: str = "default"
    password: str = ""

    def __post_init__(self) -> None:
        if self.protocol not in ("http", "https"):
            raise ConfigError(f"protocol must be http or https, got {self.protocol!r}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be in 1..65535, got {self.port}")
        if not _IDENTIFIER.match(self.database):
            raise ConfigError(f"database must match {_IDENTIFIER.pattern}, got {self.database!r}")

    def describe(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}/{self.database}"


def resolve_target(
    environ: Mapping[str, str],
    *,
    host: str | None = None,
    port: int | None = None,
    protocol: str | None = None,
    database: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> ClickHouseTarget:
    def pick(explicit: str | int | None, name: str, default: str) -> str:
        return str(explicit) if explicit is not None else environ.get(name) or default

    port_text = pick(port, "CH_PORT", "8123")
    try:
        port_number = int(port_text)
    except ValueError:
        raise ConfigError(f"CH_PORT must be an integer, got {port_text!r}") from None
    return ClickHouseTarget(
        host=pick(host, "CH_HOST", "127.0.0.1"),
        port=port_number,
        protocol=pick(protocol, "CH_PROTOCOL", "http"),
        database=pick(database, "CH_DATABASE", DEFAULT_DATABASE),
        user=pick(user, "CH_USER", "default"),
        password=password if password is not None else environ.get("CH_PASSWORD", ""),
    )


@dataclass(frozen=True, slots=True)
class Identity:
    """Which process the points come from: the series key's (run_id, host, rank, device)."""

    run_id: str
    host: str
    rank: int
    device: int  # of training metrics: the local GPU when LOCAL_RANK says so, else NO_DEVICE
    local_rank: int | None


def validate_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id):
        raise ConfigError(f"run_id must match {_RUN_ID.pattern}, got {run_id!r}")
    return run_id


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


def _torch_rank() -> int | None:
    torch = sys.modules.get("torch")  # never import torch ourselves
    dist = getattr(torch, "distributed", None) if torch is not None else None
    try:
        if dist is not None and dist.is_available() and dist.is_initialized():
            return int(dist.get_rank())
    except Exception:  # a half-initialised process group must not break logging
        return None
    return None


def _env_int(environ: Mapping[str, str], name: str) -> int | None:
    text = environ.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {text!r}") from None


def resolve_identity(
    environ: Mapping[str, str],
    *,
    run_id: str | None = None,
    host: str | None = None,
    rank: int | None = None,
    device: int | None = None,
) -> Identity:
    chosen_id = run_id or environ.get("RUNWATCH_RUN_ID") or new_run_id()
    local_rank = _env_int(environ, "LOCAL_RANK")
    if rank is None:
        rank = _env_int(environ, "RANK")
    if rank is None:
        rank = _torch_rank()
    if device is None:
        device = local_rank if local_rank is not None else NO_DEVICE
    if not 0 <= device <= NO_DEVICE:
        raise ConfigError(f"device must be in 0..65535, got {device}")
    return Identity(
        run_id=validate_run_id(chosen_id),
        host=host or socket.gethostname(),
        rank=rank or 0,
        device=device,
        local_rank=local_rank,
    )


def default_spool_dir(environ: Mapping[str, str]) -> Path:
    explicit = environ.get("RUNWATCH_SPOOL_DIR")
    if explicit:
        return Path(explicit)
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "runwatch" / "spool"
