from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from runwatch.metadata import RunMetadata, config_json, git_info, package_versions


def test_config_json_when_odd_values_then_valid_json() -> None:
    text = config_json({"lr": np.float32(0.5), "bad": math.nan, "layers": (1, 2), "path": Path("/x"),
                        "nested": {"inf": math.inf}})
    assert json.loads(text) == {"bad": "nan", "layers": [1, 2], "lr": 0.5, "nested": {"inf": "inf"},
                                "path": "/x"}


def test_git_info_when_outside_checkout_then_empty(tmp_path: Path) -> None:
    assert git_info(tmp_path).commit == ""


def test_git_info_when_checkout_with_changes_then_commit_and_dirty(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "train.py").write_text("print(1)\n")
    git("add", "train.py")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x")
    clean = git_info(tmp_path)
    assert clean.commit == git("rev-parse", "HEAD") and not clean.dirty
    (tmp_path / "train.py").write_text("print(2)\n")
    assert git_info(tmp_path).dirty


def test_package_versions_when_modules_imported_then_recorded() -> None:
    modules = {"torch": SimpleNamespace(__version__="2.5.0"), "numpy": SimpleNamespace()}
    assert package_versions(modules) == {"torch": "2.5.0"}


def test_finished_when_derived_then_updated_after_start_and_status_set(tmp_path: Path) -> None:
    meta = RunMetadata.collect(run_id="r", project="p", name="n", config={"a": 1}, tags=["t"],
                               host="h", rank=0, world_size=None, cwd=tmp_path, argv=["x.py"],
                               modules={})
    end = meta.finished("failed")
    assert end.status == "failed" and end.finished_at_ms is not None
    assert end.updated_at_ms > meta.row.updated_at_ms
    env = json.loads(meta.row.env_json)
    assert env["argv"] == ["x.py"] and "python" in env and env["pid"] > 0
