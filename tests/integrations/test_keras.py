"""RunwatchCallback in real Keras 3 on the torch backend (CPU, a two-layer regression)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras  # conftest.py (loaded first) chose the torch backend
import numpy as np
import pytest

from runwatch.integrations._common import IntegrationWarning
from runwatch.integrations.keras import RunwatchCallback, epoch_metric_name
from tests.integrations.conftest import checkpoints, points, run_row


def _model() -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)], name="tiny_regression")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_keras_runs_on_the_torch_backend() -> None:
    assert keras.backend.backend() == "torch"


@pytest.mark.parametrize(("key", "name"), [
    ("loss", "epoch/loss"), ("mae", "epoch/mae"), ("val_loss", "val/loss"), ("val_mae", "val/mae"),
])
def test_epoch_metric_names(key: str, name: str) -> None:
    assert epoch_metric_name(key) == name


def test_fit_stores_epoch_history_batches_optimizer_config_and_checkpoints(
    run_options: dict[str, Any], stored: Any, tmp_path: Path
) -> None:
    save = keras.callbacks.ModelCheckpoint(str(tmp_path / "model-{epoch:02d}.keras"),
                                           monitor="val_loss")
    callback = RunwatchCallback(project="keras", run_id="keras-fit", checkpoints=save,
                                **run_options)
    x, y = _data()
    history = _model().fit(x, y, batch_size=8, epochs=3, validation_data=(x[:8], y[:8]),
                           callbacks=[save, callback], verbose=0)

    stored_points = points(stored, "keras-fit")
    for key, values in history.history.items():  # 4 batches an epoch: epochs end at 4, 8, 12
        assert [stored_points[(epoch_metric_name(key), 4 * (i + 1))] for i in range(3)] == \
            [[pytest.approx(v)] for v in values]
    assert sorted(step for metric, step in stored_points if metric == "train/loss") == \
        list(range(1, 13))
    assert stored_points[("train/loss", 12)] == [pytest.approx(history.history["loss"][-1])]

    status, config = run_row(stored, "keras-fit")
    assert status == "finished"
    assert config["optimizer"]["learning_rate"] == pytest.approx(0.01)
    assert config["model"] == {"name": "tiny_regression", "params": 4 * 8 + 8 + 8 + 1,
                               "backend": "torch"}
    saved = checkpoints(stored, "keras-fit")
    assert [(step, Path(path).name) for step, path, _ in saved] == [
        (4, "model-01.keras"), (8, "model-02.keras"), (12, "model-03.keras")]
    assert saved[2][2] == {"val_loss": pytest.approx(history.history["val_loss"][2])}


def test_a_run_that_cannot_start_warns_and_training_goes_on(run_options: dict[str, Any]) -> None:
    callback = RunwatchCallback(project="keras", run_id="not a valid id!", **run_options)
    x, y = _data()
    with pytest.warns(IntegrationWarning, match="on_train_begin failed, training continues"):
        history = _model().fit(x, y, batch_size=8, epochs=2, callbacks=[callback], verbose=0)
    assert len(history.history["loss"]) == 2
    assert callback.run is None
