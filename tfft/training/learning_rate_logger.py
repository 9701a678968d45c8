"""Write the learning rate to TensorBoard every few steps (Keras logs it per epoch only).

Example:

>>> model.fit(ds, callbacks=[LearningRateLogger("runs/x/logs", every_steps=10)])
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from tfft.summaries import recording


class LearningRateLogger(keras.callbacks.Callback):
    """Logs ``learning_rate`` under ``<log_dir>/train`` against the global step."""

    def __init__(self, log_dir: str | Path, every_steps: int = 10):
        super().__init__()
        self.every_steps = max(int(every_steps), 1)
        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "train"))

    def _current_rate(self) -> tuple[int, float]:
        optimizer = self.model.optimizer
        step = int(optimizer.iterations.numpy())
        rate = optimizer.learning_rate
        return step, float(rate(step) if callable(rate) else keras.ops.convert_to_numpy(rate))

    def on_train_batch_end(self, batch: int, logs=None):
        step, rate = self._current_rate()
        if step % self.every_steps == 0:
            with recording(self.writer):  # its own every-N-steps condition, not Keras'
                tf.summary.scalar("step_learning_rate", rate, step=step)

    def on_train_end(self, logs=None):
        self.writer.flush()
