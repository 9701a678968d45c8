"""Add a task's validation report to each epoch's logs.

Metrics a per-batch Keras metric cannot compute (entity F1, exact match) come
from the task's own `report` at the end of each epoch. They are added to the
epoch logs as ``val_<name>`` (nested per-type tables flattened to
``val_<type>_<name>``), so TensorBoard plots them and early stopping can
monitor them: put this callback before those two.

Example:

>>> callback = ValidationReport(lambda model: task.report(...), keys=("f1",))
"""

from __future__ import annotations

import logging
from typing import Callable

import keras

from tfft.evaluation.report import Report

logger = logging.getLogger(__name__)


class ValidationReport(keras.callbacks.Callback):
    def __init__(self, evaluate: Callable[[keras.Model], Report], keys: tuple[str, ...],
                 table: str | None = None):
        super().__init__()
        self.evaluate = evaluate
        self.keys = keys
        self.table = table

    def on_epoch_end(self, epoch: int, logs=None):
        if logs is None:
            return
        metrics = self.evaluate(self.model).metrics
        for key in self.keys:
            logs[f"val_{key}"] = float(metrics[key])
        for name, row in (metrics.get(self.table) or {}).items() if self.table else ():
            for key in self.keys:
                if key in row:
                    logs[f"val_{name}_{key}"] = float(row[key])
        shown = ", ".join(f"val_{k}: {logs[f'val_{k}']:.4f}" for k in self.keys)
        logger.info(f"epoch {epoch + 1}: {shown}")
