"""Training progress as log lines, for output that is not a terminal (a log file, nohup, CI, a cluster job).

Keras' ``verbose=2`` prints one line per epoch, which leaves a long epoch
silent. `ProgressLines` logs the step, epoch, loss, rows/s, elapsed time and
ETA every ``every_steps`` optimizer steps, at least every ``every_seconds``,
and at each epoch's last step.

Example:

>>> model.fit(batches, epochs=3, verbose=2, callbacks=[ProgressLines(2105, 3, rows_per_step=32, every_steps=50)])
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import keras

from tfft.heartbeat import EVERY_SECONDS, clock_time

logger = logging.getLogger(__name__)


class ProgressLines(keras.callbacks.Callback):
    """Logs ``epoch e/E  step s/S  loss ...  rows/s  elapsed  eta`` as training goes."""

    def __init__(self, steps_per_epoch: int, epochs: int, rows_per_step: int, every_steps: int,
                 every_seconds: float = EVERY_SECONDS, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.steps_per_epoch, self.epochs, self.rows_per_step = steps_per_epoch, epochs, rows_per_step
        self.every_steps, self.every_seconds, self.clock = max(int(every_steps), 1), every_seconds, clock

    def on_train_begin(self, logs=None):
        self.started = self.last_line = self.clock()
        self.first_step = self._global_step()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_step()
        in_epoch = (step - 1) % self.steps_per_epoch + 1
        now = self.clock()
        due = step % self.every_steps == 0 or now - self.last_line >= self.every_seconds
        if due or in_epoch == self.steps_per_epoch:
            self.last_line = now
            logger.info(self.line(step, now, (logs or {}).get("loss")))

    def line(self, step: int, now: float, loss: float | None) -> str:
        """The progress line after global optimizer step ``step`` (counted from 1)."""
        total = self.steps_per_epoch * self.epochs
        epoch = min((step - 1) // self.steps_per_epoch + 1, self.epochs)
        in_epoch = (step - 1) % self.steps_per_epoch + 1
        elapsed = now - self.started
        done = step - self.first_step
        rate = done / elapsed if elapsed > 0 and done > 0 else 0.0
        eta = clock_time((total - step) / rate) if rate else "?"
        loss_text = f"loss {float(loss):.4f}  " if loss is not None else ""
        return (f"epoch {epoch}/{self.epochs}  step {in_epoch}/{self.steps_per_epoch}  {loss_text}"
                f"{rate * self.rows_per_step:.1f} rows/s  elapsed {clock_time(elapsed)}  eta {eta}")

    def _global_step(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
