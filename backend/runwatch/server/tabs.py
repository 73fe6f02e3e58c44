"""Which dashboard tab a metric belongs to, by name prefix.

The defaults follow the reference design; a TOML or JSON file (settings.tabs_file) replaces
them, e.g.

    fallback = "other"
    [[tabs]]
    id = "training"
    title = "Training"
    prefixes = ["train/", "loss", "throughput", "lr"]

A metric goes to the tab with the longest matching prefix (so a user can send `train/grad`
to another tab than `train/`), else to the fallback tab, so no metric is ever invisible.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator


class Tab(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=128)
    prefixes: list[str] = Field(default_factory=list)


class TabsConfig(BaseModel):
    tabs: list[Tab]
    fallback: str = "other"

    @field_validator("tabs")
    @classmethod
    def _unique_ids(cls, tabs: list[Tab]) -> list[Tab]:
        ids = [tab.id for tab in tabs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"tab ids must be unique, got {ids}")
        return tabs

    def tab_for(self, metric: str) -> str:
        best, best_len = self.fallback, -1
        for tab in self.tabs:
            for prefix in tab.prefixes:
                if metric.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = tab.id, len(prefix)
        return best

    def wire(self) -> dict[str, Any]:
        return self.model_dump()


DEFAULT_TABS = TabsConfig(
    tabs=[
        Tab(id="training", title="Training", prefixes=["train/", "loss", "throughput", "lr"]),
        Tab(id="model", title="Model", prefixes=["model/"]),
        Tab(id="evaluation", title="Evaluation", prefixes=["val/", "eval/"]),
        Tab(id="system", title="System", prefixes=["sys."]),
        Tab(id="checkpoints", title="Checkpoints", prefixes=["checkpoint"]),
    ],
    fallback="other",
)


class TabsFileError(ValueError):
    """The tabs file cannot be read or does not describe tabs."""


def load_tabs(path: Path | None) -> TabsConfig:
    """The tabs of `path` (.toml or .json), or the defaults when `path` is None."""
    if path is None:
        return DEFAULT_TABS
    try:
        text = path.read_text()
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        return TabsConfig.model_validate(data)
    except (OSError, ValueError, ValidationError) as exc:
        raise TabsFileError(f"tabs file {path}: {exc}") from exc
