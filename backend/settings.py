"""Process settings, built once at the edge (the CLI or a test) and passed down.

The variable names are the ones users already know from the reference design (CH_HOST,
CH_PORT, ..., POLL_INTERVAL_SEC). Values come from, in order: explicit keyword arguments,
the environment, a `.env` file in the working directory, the defaults below.
"""

from __future__ import annotations

import re
from typing import Literal, TypeVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ClickHouseSettings(BaseSettings):
    """Where ClickHouse is. Shared by every runwatch process that talks to it."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    ch_host: str = Field(default="127.0.0.1", alias="CH_HOST")
    ch_port: int = Field(default=8123, alias="CH_PORT", ge=1, le=65535)
    ch_protocol: Literal["http", "https"] = Field(default="http", alias="CH_PROTOCOL")
    ch_database: str = Field(default="training_observability", alias="CH_DATABASE")
    ch_user: str = Field(default="default", alias="CH_USER")
    ch_password: str = Field(default="", alias="CH_PASSWORD")

    @field_validator("ch_database")
    @classmethod
    def _database_is_identifier(cls, value: str) -> str:
        # The name is spliced into DDL (CREATE DATABASE cannot take a bound parameter).
        if not _IDENTIFIER.match(value):
            raise ValueError(f"CH_DATABASE must match {_IDENTIFIER.pattern}, got {value!r}")
        return value


class Settings(ClickHouseSettings):
    """Settings of the dashboard server (`runwatch serve` / `runwatch up`)."""

    poll_interval_sec: float = Field(default=1.0, alias="POLL_INTERVAL_SEC", gt=0)
    server_host: str = Field(default="127.0.0.1", alias="RUNWATCH_HOST")
    server_port: int = Field(default=8000, alias="RUNWATCH_PORT", ge=0, le=65535)


S = TypeVar("S", bound=ClickHouseSettings)


class SettingsError(ValueError):
    """A setting from the environment, `.env` or the command line has a bad value."""


def load_settings(cls: type[S], **overrides: object) -> S:
    """Build `cls` from overrides + environment + `.env`, with one readable line per bad value.

    Overrides equal to None are left out, so CLI options that were not given do not mask the
    environment.
    """
    from pydantic import ValidationError

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return cls(**given)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            field = cls.model_fields.get(name)
            label = field.alias if field is not None and field.alias else name
            problems.append(f"{label}: {error['msg']} (got {error.get('input')!r})")
        raise SettingsError("; ".join(problems)) from None
