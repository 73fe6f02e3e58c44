"""The wheel is the product: built from this checkout, installed into fresh virtualenvs.

One module-scoped build; two venvs: the agent-only install (the training box) and the
`[embedded]` install that must serve the whole dashboard from any directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests.support.clickhouse import free_port
from tests.support.waiting import wait_for

REPO_ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _clean_env() -> dict[str, str]:
    # Nothing of this checkout's venv may leak in: no PYTHONPATH, no CH_* target.
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("CH_")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
                    str(REPO_ROOT)], check=True, env=_clean_env(), timeout=600)
    (built,) = out.glob("runwatch-*.whl")
    return built


def _venv(path: Path, requirement: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", requirement], check=True,
                   env=_clean_env(), timeout=900)
    return python


def _run(python: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-c", code], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)


def test_wheel_holds_only_the_runwatch_package_with_schema_and_built_page(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "runwatch", f"{wheel.name.split('-py3')[0]}.dist-info"}
    assert "runwatch/server/sql/001_metric_points.sql" in names
    assert "runwatch/server/sql/cluster/001_metric_points.sql" in names
    assert "runwatch/server/static/index.html" in names
    assert any(n.startswith("runwatch/server/static/assets/") and n.endswith(".js") for n in names)
    assert "runwatch/__main__.py" in names and "runwatch/server/api/app.py" in names


@pytest.fixture(scope="module")
def agent_only(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv(tmp_path_factory.mktemp("agent-venv") / "venv", str(wheel))


def test_agent_only_install_imports_no_server_stack_and_no_stray_packages(
    agent_only: Path, tmp_path: Path
) -> None:
    result = _run(agent_only, (
        "import json, sys, runwatch\n"
        "heavy = [m for m in ('fastapi', 'uvicorn', 'starlette', 'chdb', 'numpy', 'pydantic')"
        " if m in sys.modules]\n"
        "strays = []\n"
        "for name in ('agent', 'backend'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "        strays.append(name)\n"
        "    except ImportError:\n"
        "        pass\n"
        "print(json.dumps({'heavy': heavy, 'strays': strays, 'file': runwatch.__file__,\n"
        "                  'api': [runwatch.Run.__name__, runwatch.init.__name__]}))\n"
    ), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["heavy"] == []
    assert report["strays"] == []
    assert "site-packages/runwatch/__init__.py" in report["file"]
    assert report["api"] == ["Run", "init"]


def test_agent_only_install_runs_the_agent_command_and_names_the_extra_for_the_server(
    agent_only: Path, tmp_path: Path
) -> None:
    runwatch = agent_only.parent / "runwatch"
    help_text = subprocess.run([str(runwatch), "agent", "--help"], cwd=tmp_path, env=_clean_env(),
                               capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0, help_text.stderr
    assert "--replay" in help_text.stdout
    module = subprocess.run([str(agent_only), "-m", "runwatch", "serve"], cwd=tmp_path,
                            env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert module.returncode == 2
    assert "pip install 'runwatch[server]'" in module.stderr
    assert "Traceback" not in module.stderr


@pytest.fixture(scope="module")
def embedded(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv(tmp_path_factory.mktemp("embedded-venv") / "venv", f"{wheel}[embedded]")


@pytest.fixture
def up_with_demo(embedded: Path, tmp_path: Path) -> Iterator[str]:
    port, ch_port = free_port(), free_port()
    process = subprocess.Popen(
        [str(embedded.parent / "runwatch"), "up", "--demo", "--demo-runs", "1",
         "--port", str(port), "--ch-port", str(ch_port)],
        cwd=tmp_path, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("runwatch is up"):
                break
        else:
            pytest.fail(f"runwatch up exited ({process.wait()}) before it was up")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _first_snapshot_with_points(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/stream", timeout=10) as response:
        event = None
        for raw in response:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "snapshot":
                snapshot: dict[str, object] = json.loads(line[5:])
                return snapshot
    raise AssertionError("the stream ended without a snapshot")


def test_embedded_install_serves_the_built_page_and_live_demo_events_from_any_directory(
    up_with_demo: str, tmp_path: Path
) -> None:
    with urllib.request.urlopen(f"{up_with_demo}/", timeout=10) as response:
        page = response.read().decode()
    assert '<div id="root">' in page
    script = page.split('src="', 1)[1].split('"', 1)[0]
    with urllib.request.urlopen(urljoin(f"{up_with_demo}/", script), timeout=10) as response:
        assert response.status == 200 and len(response.read()) > 10_000

    def demo_points() -> dict[str, object] | None:
        snapshot = _first_snapshot_with_points(up_with_demo)
        return snapshot if snapshot["series"] else None

    snapshot = wait_for(demo_points, timeout=60, what="demo points on /stream", every=1.0)
    assert [run["project"] for run in snapshot["runs"]] == ["demo"]  # type: ignore[attr-defined]
    assert (tmp_path / ".runwatch" / "data").is_dir()  # the data dir is relative to the cwd
