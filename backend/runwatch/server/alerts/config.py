"""The alerts file (TOML, `RUNWATCH_ALERTS_FILE`): channels, rules, settings; validated once
at start with one readable line per problem.

    [settings]                 # optional
    throttle_sec = 300         # per (rule, run): at most one firing notification per window
    defaults = true            # the built-in rules (rules.DEFAULT_RULES) stay on
    default_channels = []      # ... and notify these channels (none: the dashboard only)

    [[channel]]
    name = "ops"
    type = "webhook"           # or "slack", "discord"
    url = "http://127.0.0.1:9999/hook"

    [[rule]]
    name = "loss-nan"
    kind = "nonfinite"
    metric = "train/loss*"     # a glob, or a list of globs
    channels = ["ops"]         # omitted: every channel; []: the dashboard only

A rule with the name of a default rule replaces it; a rule with `project = "x"` applies to
that project's runs only and, for them, replaces the rule of the same name.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from runwatch.server.alerts.rules import DEFAULT_RULES, Rule


class AlertsConfigError(ValueError):
    """The alerts file is missing, not TOML, or does not describe valid channels and rules."""


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    type: Literal["webhook", "slack", "discord"]
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    timeout_sec: Annotated[float, Field(gt=0, le=120)] = 5.0
    retries: Annotated[int, Field(ge=0, le=20)] = 4
    backoff_sec: Annotated[float, Field(gt=0, le=60)] = 0.5
    backoff_max_sec: Annotated[float, Field(gt=0, le=600)] = 30.0
    queue_size: Annotated[int, Field(ge=1, le=100_000)] = 1000
    headers: dict[str, str] = Field(default_factory=dict)


class AlertSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    throttle_sec: Annotated[float, Field(ge=0)] = 300.0
    defaults: bool = True
    # the built-in rules show in the dashboard; they notify these channels (none by default)
    default_channels: tuple[str, ...] = ()


class AlertsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    settings: AlertSettings = Field(default_factory=AlertSettings)
    channels: tuple[Channel, ...] = Field(default=(), alias="channel")
    rules: tuple[Rule, ...] = Field(default=(), alias="rule")

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        names = [c.name for c in channels]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"channel names must be unique: {', '.join(dupes)}")
        return channels

    @model_validator(mode="after")
    def _known_channels(self) -> AlertsConfig:
        known = {c.name for c in self.channels}
        unknown_defaults = [c for c in self.settings.default_channels if c not in known]
        if unknown_defaults:
            raise ValueError(f"settings.default_channels: unknown channel(s) "
                             f"{', '.join(unknown_defaults)}")
        for rule in self.rules:
            unknown = [c for c in rule.channels or () if c not in known]
            if unknown:
                raise ValueError(f"rule {rule.name!r}: unknown channel(s) {', '.join(unknown)}; "
                                 f"defined: {', '.join(sorted(known)) or 'none'}")
        seen: set[tuple[str, str | None]] = set()
        for rule in self.rules:
            if (rule.name, rule.project) in seen:
                raise ValueError(f"rule {rule.name!r} is defined twice"
                                 + (f" for project {rule.project!r}" if rule.project else ""))
            seen.add((rule.name, rule.project))
        return self

    def effective_rules(self) -> tuple[Rule, ...]:
        """Default rules (unless turned off) with those the file redefines replaced, and each
        global rule told which projects override it."""
        mine = list(self.rules)
        names = {r.name for r in mine}
        rules = [r.model_copy(update={"channels": self.settings.default_channels})
                 for r in DEFAULT_RULES if r.name not in names] if self.settings.defaults else []
        rules += mine
        overridden: dict[str, set[str]] = {}
        for r in rules:
            if r.project is not None:
                overridden.setdefault(r.name, set()).add(r.project)
        return tuple(
            r.model_copy(update={"except_projects": frozenset(overridden.get(r.name, ()))})
            if r.project is None and r.name in overridden else r
            for r in rules
        )


def parse_alerts(text: str, source: str = "<alerts>") -> AlertsConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AlertsConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return AlertsConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _location(data, error["loc"])
            problems.append(f"{where}: {error['msg']}")
        raise AlertsConfigError(f"{source}: " + "; ".join(problems)) from None


def _location(data: object, loc: tuple[int | str, ...]) -> str:
    """`rule[2] (loss-nan).threshold` rather than pydantic's `rule.2.threshold`."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and parts:
            name = None
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                name = node[part].get("name")
            parts[-1] += f"[{part}]" + (f" ({name})" if name else "")
        else:
            parts.append(str(part))
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
    return ".".join(parts) or "file"


def load_alerts(path: Path | None) -> AlertsConfig:
    """The file's configuration, or the defaults (no channels, default rules) without one."""
    if path is None:
        return AlertsConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertsConfigError(f"RUNWATCH_ALERTS_FILE {path}: {exc.strerror or exc}") from None
    return parse_alerts(text, str(path))
