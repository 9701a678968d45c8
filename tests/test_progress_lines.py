"""Progress for output that is not a terminal: training lines every N steps or 30 s, and heartbeats."""

from __future__ import annotations

import itertools
import logging

import keras
import numpy as np

from tfft.training.progress_lines import ProgressLines


def fit_with(callback: ProgressLines, epochs: int = 2, steps: int = 5) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((steps * 4, 3), "float32"), np.zeros((steps * 4, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=epochs, verbose=0, callbacks=[callback], shuffle=False)


def logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tfft.training.progress_lines"]


def test_a_line_every_n_steps_and_at_each_epoch_end(caplog):
    ticks = itertools.count(0.0, 0.5)  # half a second per clock reading
    with caplog.at_level(logging.INFO, logger="tfft"):
        fit_with(ProgressLines(5, 2, rows_per_step=4, every_steps=2, clock=lambda: next(ticks)))
    lines = logged(caplog)
    steps = [line.split("  ")[1] for line in lines]
    assert steps == ["step 2/5", "step 4/5", "step 5/5", "step 1/5", "step 3/5", "step 5/5"]
    assert lines[0].startswith("epoch 1/2  step 2/5  loss ") and lines[-1].startswith("epoch 2/2  step 5/5")
    assert " rows/s  elapsed 0:" in lines[0] and lines[-1].endswith("eta 0:00")


def test_a_slow_step_still_gets_a_line_every_30_seconds(caplog):
    ticks = itertools.count(0.0, 40.0)
    with caplog.at_level(logging.INFO, logger="tfft"):
        fit_with(ProgressLines(5, 1, rows_per_step=4, every_steps=1000, clock=lambda: next(ticks)), epochs=1)
    lines = logged(caplog)
    assert len(lines) == 5  # every step: each one took more than 30 s
    assert "0.1 rows/s" in lines[-1]  # 4 rows per 40 s step


def test_times_read_as_clock_times():
    line = ProgressLines(100, 3, rows_per_step=32, every_steps=10, clock=lambda: 0.0)
    line.started, line.first_step = 0.0, 0
    assert line.line(50, 100.0, 0.5) == "epoch 1/3  step 50/100  loss 0.5000  16.0 rows/s  elapsed 1:40  eta 8:20"
    assert line.line(150, 3725.0, None) == "epoch 2/3  step 50/100  1.3 rows/s  elapsed 1:02:05  eta 1:02:05"


def test_evaluation_logs_a_heartbeat_when_it_runs_long(monkeypatch, caplog):
    import tensorflow as tf

    from tfft import heartbeat
    from tfft.evaluation.local_predict import predict_locally

    monkeypatch.setattr(heartbeat, "EVERY_SECONDS", 0.0)  # every batch counts as long
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    dataset = tf.data.Dataset.from_tensor_slices(np.ones((12, 3), "float32")).batch(4)
    with caplog.at_level(logging.INFO, logger="tfft"):
        outputs = predict_locally(model, dataset)
    assert outputs.shape == (12, 2)
    lines = [r.getMessage() for r in caplog.records if r.name == "tfft.heartbeat"]
    assert [line.split(",")[0] for line in lines] == [f"evaluating: {i}/3 batches" for i in (1, 2, 3)]
    assert all(" elapsed, eta " in line for line in lines) and lines[-1].endswith("eta 0:00")
