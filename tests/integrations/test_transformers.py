"""RunwatchCallback in a real Hugging Face Trainer (CPU, a tiny BERT built from its config)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runwatch.integrations.transformers import RunwatchCallback, metric_name
from tests.integrations.conftest import checkpoints, points, run_row
from tests.integrations.tiny_transformers import trainer
from tests.support.clickhouse import EmbeddedClickHouse

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("key", "name"), [
    ("loss", "train/loss"), ("learning_rate", "train/learning_rate"), ("eval_loss", "eval/loss"),
    ("eval_runtime", "eval/runtime"), ("test_accuracy", "test/accuracy"),
    ("train_runtime", "train/train_runtime"), ("evaluation", "train/evaluation"),
])
def test_metric_names_follow_the_trainer_prefixes(key: str, name: str) -> None:
    assert metric_name(key) == name


def test_train_stores_the_log_history_the_arguments_the_model_config_and_checkpoints(
    run_options: dict[str, Any], stored: Any, tmp_path: Path
) -> None:
    callback = RunwatchCallback(project="hf", run_id="hf-train", **run_options)
    hf = trainer(tmp_path / "out", [callback])
    hf.train()

    expected: dict[tuple[str, int], list[float]] = {}
    for entry in hf.state.log_history:
        for key, value in entry.items():
            if key != "step" and isinstance(value, int | float):
                expected.setdefault((metric_name(key), entry["step"]), []).append(float(value))
    assert points(stored, "hf-train") == {k: sorted(v) for k, v in expected.items()}
    assert ("eval/loss", 4) in expected and ("train/loss", 2) in expected

    status, config = run_row(stored, "hf-train")
    assert status == "finished"
    assert config["args"]["learning_rate"] == 1e-3 and config["args"]["max_steps"] == 12
    assert config["model"]["hidden_size"] == 16 and config["model"]["model_type"] == "bert"

    saved = checkpoints(stored, "hf-train")
    assert [(step, Path(path).name) for step, path, _ in saved] == [
        (6, "checkpoint-6"), (12, "checkpoint-12")]
    assert all(Path(path).is_dir() for _, path, _ in saved)
    eval_at_4 = expected[("eval/loss", 4)][0]
    assert saved[0][2]["eval/loss"] == pytest.approx(eval_at_4)  # the latest eval before the save


FAILING = textwrap.dedent("""
    import sys
    from pathlib import Path
    from transformers import TrainerCallback
    from runwatch.integrations.transformers import RunwatchCallback
    from tests.integrations.tiny_transformers import trainer

    class Explode(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise RuntimeError("loss is NaN")

    trainer(Path(sys.argv[1]), [RunwatchCallback(project="hf", run_id="hf-fails",
                                                 system_metrics=False), Explode()]).train()
""")


@pytest.mark.slow
def test_training_that_raises_ends_the_run_failed(
    clickhouse_server: EmbeddedClickHouse, database: str, stored: Any, tmp_path: Path
) -> None:
    env = {**os.environ, "CH_HOST": clickhouse_server.host, "CH_PORT": str(clickhouse_server.port),
           "CH_DATABASE": database, "RUNWATCH_SPOOL_DIR": str(tmp_path / "spool"),
           "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", FAILING, str(tmp_path / "out")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 1 and "loss is NaN" in result.stderr
    status, config = run_row(stored, "hf-fails")
    assert status == "failed"
    assert config["args"]["max_steps"] == 12
    assert sorted(step for metric, step in points(stored, "hf-fails") if metric == "train/loss") == [2]
