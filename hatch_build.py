"""Build hook: the wheel is the product, so it carries the schema and the built dashboard.

`pip wheel .` / `python -m build` in a checkout rebuilds frontend/dist with npm when any
frontend source is newer than the last build (or there is none), then ships it as
`runwatch/server/static/` and `sql/` as `runwatch/server/sql/`. An sdist carries the built
page too, so a wheel built from it needs no Node.js. Editable installs ship nothing extra:
the server finds the checkout's own sql/ and frontend/dist/ (runwatch/server/assets.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_SOURCES = ("src", "public", "index.html", "package.json", "package-lock.json",
            "vite.config.ts", "tsconfig.json")


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for child in path.rglob("*"):
                if child.is_file():
                    newest = max(newest, child.stat().st_mtime)
    return newest


class FrontendBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        dist = root / "frontend" / "dist"
        self._ensure_built(root / "frontend", dist)
        if self.target_name == "wheel":
            build_data["force_include"][str(dist)] = "runwatch/server/static"
            build_data["force_include"][str(root / "sql")] = "runwatch/server/sql"
        elif self.target_name == "sdist":
            build_data["force_include"][str(dist)] = "frontend/dist"

    def _ensure_built(self, frontend: Path, dist: Path) -> None:
        index = dist / "index.html"
        sources = [frontend / name for name in _SOURCES]
        has_sources = (frontend / "src").is_dir()
        if index.is_file() and (not has_sources or _newest_mtime(sources) <= index.stat().st_mtime):
            return
        if not has_sources:
            raise RuntimeError(f"no built frontend at {dist} and no sources to build it from")
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building the runwatch wheel needs Node.js >= 20 and npm "
                               f"(to build {frontend}), or an up-to-date frontend/dist")
        env = {**os.environ, "npm_config_fund": "false", "npm_config_audit": "false"}
        if not (frontend / "node_modules").is_dir():
            print("runwatch build: npm ci", flush=True)
            subprocess.run([npm, "ci"], cwd=frontend, env=env, check=True)
        print("runwatch build: npm run build", flush=True)
        subprocess.run([npm, "run", "build"], cwd=frontend, env=env, check=True)
