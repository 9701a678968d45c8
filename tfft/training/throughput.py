"""Measure training throughput: examples/s and real (non-pad) tokens/s.

The first ``skip_steps`` steps (tracing, warm-up) are excluded. Per-batch
sizes come from ``batch_counts``: a fresh copy of the (seeded, deterministic)
training pipeline yields the same batches as the first epoch of ``fit``.

Example:

>>> meter = ThroughputMeter(lambda: batch_counts(training_dataset(split, 32, seed=42)))
>>> model.fit(train_ds, callbacks=[meter]); meter.result()
{'examples_per_second': 410.2, 'tokens_per_second': 5460.0, ...}
"""

from __future__ import annotations

import time
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from tfft.summaries import recording


def batch_counts(dataset: tf.data.Dataset) -> np.ndarray:
    """(examples, real tokens) of each batch of one pass over ``dataset``."""
    counts = [
        (int(tf.shape(x["padding_mask"])[0]), int(tf.reduce_sum(x["padding_mask"])))
        for x, *_ in dataset
    ]
    return np.asarray(counts, dtype="int64").reshape(-1, 2)


class ThroughputMeter(keras.callbacks.Callback):
    """Times the steps of the first epoch and reports rates after ``skip_steps``.

    With ``steps_per_execution`` > 1 Keras reports every few steps; each report
    says how many steps are done, so the counted batches always match the time.
    """

    def __init__(self, counts: Callable[[], np.ndarray], skip_steps: int = 10):
        super().__init__()
        self.counts_fn = counts
        self.skip_steps = skip_steps
        self.marks: list[tuple[int, float]] = []  # (steps done in the first epoch, time)
        self.counts: np.ndarray | None = None

    def on_train_begin(self, logs=None):
        self.counts = self.counts_fn()
        self.marks, self.recording = [], True
        self.begin = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs=None):
        done = min(int(batch) + 1, len(self.counts))
        if self.recording and (not self.marks or done > self.marks[-1][0]):
            self.marks.append((done, time.perf_counter()))

    def on_epoch_end(self, epoch: int, logs=None):
        self.recording = False

    def result(self) -> dict[str, float]:
        if not self.marks:
            return {}
        last_step, last_time = self.marks[-1]
        after_skip = [mark for mark in self.marks[:-1] if mark[0] >= self.skip_steps]
        first_step, first_time = after_skip[0] if after_skip else (0, self.begin)
        examples, tokens = self.counts[first_step:last_step].sum(axis=0)
        seconds = last_time - first_time
        return {
            "examples_per_second": float(examples / seconds),
            "tokens_per_second": float(tokens / seconds),
            "measured_steps": last_step - first_step,
            "first_step_seconds": float(self.marks[0][1] - self.begin),
        }


class TokenRateLogger(keras.callbacks.Callback):
    """Writes ``step_tokens_per_second`` to TensorBoard every ``every_steps`` steps.

    For pipelines whose batches all hold ``tokens_per_step`` tokens (packed
    pre-training blocks), so no per-batch count is needed.
    """

    def __init__(self, log_dir, tokens_per_step: int, every_steps: int = 10):
        super().__init__()
        self.tokens_per_step = int(tokens_per_step)
        self.every_steps = max(int(every_steps), 1)
        self.writer = tf.summary.create_file_writer(str(log_dir) + "/train")
        self.last: tuple[int, float] | None = None

    def on_train_batch_end(self, batch: int, logs=None):
        step, now = int(self.model.optimizer.iterations.numpy()), time.perf_counter()
        if self.last is not None and step % self.every_steps == 0:
            rate = (step - self.last[0]) * self.tokens_per_step / (now - self.last[1])
            with recording(self.writer):
                tf.summary.scalar("step_tokens_per_second", rate, step=step)
        if self.last is None or step % self.every_steps == 0:
            self.last = (step, now)

    def on_epoch_begin(self, epoch: int, logs=None):
        self.last = None  # validation time between epochs is not training time

    def on_train_end(self, logs=None):
        self.writer.flush()
