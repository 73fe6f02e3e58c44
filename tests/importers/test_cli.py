"""`runwatch import` as a family: its subcommands, and a clear error when a reader is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runwatch.cli import build_parser, main
from tests.support.clickhouse import EmbeddedClickHouse, free_port


def test_parser_when_import_then_one_subcommand_per_source_with_the_target_flags() -> None:
    args = build_parser().parse_args(["import", "tensorboard", "logs", "--project", "p",
                                      "--port", "9000"])
    assert (args.source, args.path, args.project, args.port) == ("tensorboard", "logs", "p", 9000)
    for source in ("mlflow", "wandb"):
        assert build_parser().parse_args(["import", source, "x"]).source == source
    with pytest.raises(SystemExit):
        build_parser().parse_args(["import", "comet", "x"])


@pytest.mark.parametrize(("source", "module"), [("tensorboard", "tensorboard"),
                                                ("mlflow", "mlflow"), ("wandb", "wandb")])
def test_import_when_the_reader_is_not_installed_then_names_the_extra(
    source: str, module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed: import raises
    (tmp_path / "events.out.tfevents.1.host").write_bytes(b"")
    assert main(["import", source, str(tmp_path)]) == 2
    assert f"pip install 'runwatch[{source}]'" in capsys.readouterr().err


def test_import_modules_when_loaded_then_no_server_stack_is_imported() -> None:
    import subprocess

    code = ("import sys; from runwatch.cli import build_parser; build_parser(); "
            "import runwatch.importers.store, runwatch.importers.tensorboard_reader, "
            "runwatch.importers.mlflow_reader, runwatch.importers.wandb_reader; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'chdb', 'pydantic_settings', "
            "'starlette', 'mlflow', 'wandb', 'tensorboard') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_import_when_clickhouse_is_unreachable_or_unmigrated_then_a_clear_error_first(
    clickhouse_server: EmbeddedClickHouse, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("tensorboard")
    (tmp_path / "events.out.tfevents.1.host").write_bytes(b"")
    port = str(free_port())
    assert main(["import", "tensorboard", str(tmp_path), "--port", port]) == 2
    assert f"ClickHouse at http://127.0.0.1:{port}/" in capsys.readouterr().err
    assert main(["import", "tensorboard", str(tmp_path), "--port", str(clickhouse_server.port),
                 "--database", "never_migrated"]) == 2
    assert "`runwatch migrate` creates the schema" in capsys.readouterr().err
