"""Resume state: weights and optimizer every N steps and at each epoch's end.

The backup folder holds ``latest.weights.h5`` (model and optimizer variables)
and ``state.json`` (the optimizer step it was taken at). A restarted run loads
it and continues at that step: `ResumePoint.at_step` turns the step into
(epoch, batch), and the training stream skips exactly the batches already
trained on.
Under MultiWorkerMirrored every worker restores from the chief's folder, and
only the chief's copy is written where the user keeps it.

Example:

>>> start = restore_backup(model, folder.backup, steps_per_epoch=100)
>>> start
ResumePoint(epoch=1, batch=40)
>>> callbacks = [StepBackup(folder.backup, every_steps=20)]
"""

from __future__ import annotations

import logging
import json
import os
from dataclasses import dataclass
from pathlib import Path

import keras

logger = logging.getLogger(__name__)

WEIGHTS, STATE = "latest.weights.h5", "state.json"


@dataclass(frozen=True)
class ResumePoint:
    """Where training continues: epoch ``epoch`` (from 0), after ``batch`` of its batches."""

    epoch: int = 0
    batch: int = 0

    @classmethod
    def at_step(cls, step: int, steps_per_epoch: int) -> "ResumePoint":
        epoch, batch = divmod(int(step), int(steps_per_epoch))
        return cls(epoch, batch)


def saved_step(backup_dir: Path) -> int | None:
    state = Path(backup_dir) / STATE
    if not state.is_file() or not (Path(backup_dir) / WEIGHTS).is_file():
        return None
    return int(json.loads(state.read_text(encoding="utf-8"))["step"])


def restore_backup(model: keras.Model, backup_dir: Path, steps_per_epoch: int) -> ResumePoint:
    """Loads the last backup into ``model`` (compiled); where to continue, (0, 0) without one."""
    step = saved_step(backup_dir)
    if step is None:
        return ResumePoint()
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(str(Path(backup_dir) / WEIGHTS))
    point = ResumePoint.at_step(step, steps_per_epoch)
    logger.info(f"resuming from {backup_dir} at step {step}: epoch {point.epoch + 1}, after batch {point.batch}")
    return point


class StepBackup(keras.callbacks.Callback):
    """Writes the resume state every ``every_steps`` optimizer steps and at each epoch end."""

    def __init__(self, backup_dir: Path, every_steps: int | None = None):
        super().__init__()
        self.backup_dir = Path(backup_dir)
        self.every_steps = int(every_steps or 0)
        self.last_step = 0

    def on_train_begin(self, logs=None):
        self.last_step = self._step()

    def on_train_batch_end(self, batch: int, logs=None):
        # >=, not %: with steps_per_execution > 1 this runs every few steps.
        if self.every_steps and self._step() >= self.last_step + self.every_steps:
            self.save()

    def on_epoch_end(self, epoch: int, logs=None):
        self.save()

    def save(self) -> None:
        step = self._step()
        if saved_step(self.backup_dir) == step:
            return
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        # Write-then-rename, so a kill mid-save leaves the previous backup whole.
        partial = self.backup_dir / f"partial.{WEIGHTS}"
        self.model.save_weights(str(partial), overwrite=True)
        os.replace(partial, self.backup_dir / WEIGHTS)
        (self.backup_dir / f"partial.{STATE}").write_text(json.dumps({"step": step}), encoding="utf-8")
        os.replace(self.backup_dir / f"partial.{STATE}", self.backup_dir / STATE)
        self.last_step = step

    def _step(self) -> int:
        return int(self.model.optimizer.iterations.numpy())
