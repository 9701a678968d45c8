"""AdaLoRA's rank allocator: prune singular values by importance down to a budget.

Every ``interval`` steps the allocator measures each singular value's sensitivity
``|λ · ∂L/∂λ|`` on a fresh training batch (AdaLoRA measures it every step from the
training gradients; a Keras callback cannot see those, so it samples them),
smooths it with an exponential moving average, and masks the least important
ones until the total rank meets the cubic budget schedule of the paper: the full
``rank × matrices`` until ``start`` of training, ``target_rank × matrices`` from
``end`` on. The final rank of every matrix is written to ``adalora_ranks.json``
in the run folder and the total to TensorBoard (``peft/total_rank``).

Example:

>>> allocator = RankAllocator(modules, target_total=48, total_steps=500, batches=make_batches)
>>> model.fit(..., callbacks=[allocator])
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfft.peft.low_rank import LowRankUpdate
from tfft.summaries import recording

START, END = 0.1, 0.7  # fractions of training between which the budget falls
SMOOTHING = 0.85


def budget_at(step: int, total_steps: int, initial: int, target: int) -> int:
    """The cubic schedule of AdaLoRA: ``initial`` before START, ``target`` from END on."""
    start, end = int(START * total_steps), max(int(END * total_steps), int(START * total_steps) + 1)
    if step < start:
        return initial
    if step >= end:
        return target
    remaining = 1.0 - (step - start) / (end - start)
    return int(round(target + (initial - target) * remaining ** 3))


class RankAllocator(keras.callbacks.Callback):
    def __init__(self, modules: dict[str, LowRankUpdate], target_total: int, total_steps: int,
                 batches, log_dir: Path | None = None, ranks_file: Path | None = None,
                 interval: int = 10):
        super().__init__()
        self.modules = modules
        self.target_total, self.total_steps = int(target_total), max(int(total_steps), 1)
        self.batches, self.interval = batches, max(int(interval), 1)
        self.log_dir, self.ranks_file = log_dir, ranks_file
        self.step = 0
        self.importance = {path: np.zeros(m.rank) for path, m in modules.items()}
        self._iterator = None
        self._sensitivities = None

    @property
    def initial_total(self) -> int:
        return sum(m.rank for m in self.modules.values())

    def total_rank(self) -> int:
        return int(sum(np.count_nonzero(keras.ops.convert_to_numpy(m.rank_mask)) for m in self.modules.values()))

    def on_train_begin(self, logs=None):
        self._iterator = iter(self.batches().repeat())
        variables = [m.singular_values for m in self.modules.values()]

        @tf.function(reduce_retracing=True)  # batches are padded per batch: lengths vary
        def sensitivities(batch):
            x, y, *weights = batch
            with tf.GradientTape() as tape:
                predictions = self.model(x, training=True)
                loss = self.model.compute_loss(x=x, y=y, y_pred=predictions,
                                               sample_weight=weights[0] if weights else None)
            gradients = tape.gradient(loss, variables)
            return [tf.abs(tf.cast(v, tf.float32) * tf.cast(g, tf.float32))
                    for v, g in zip(variables, gradients)]

        self._sensitivities = sensitivities

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.interval:
            return
        for (path, importance), value in zip(self.importance.items(),
                                             self._sensitivities(next(self._iterator))):
            importance *= SMOOTHING
            importance += (1 - SMOOTHING) * value.numpy()
        self._prune(budget_at(self.step, self.total_steps, self.initial_total, self.target_total))

    def _prune(self, budget: int) -> None:
        masks = {path: keras.ops.convert_to_numpy(m.rank_mask).copy() for path, m in self.modules.items()}
        active = [(self.importance[path][i], path, i)
                  for path, mask in masks.items() for i in np.flatnonzero(mask)]
        excess = len(active) - budget
        if excess <= 0:
            return
        for _, path, i in sorted(active)[:excess]:
            masks[path][i] = 0.0
        for path, module in self.modules.items():
            module.rank_mask.assign(masks[path])

    def on_epoch_end(self, epoch, logs=None):
        if self.log_dir is None:
            return
        with recording(tf.summary.create_file_writer(str(Path(self.log_dir) / "train"))):
            tf.summary.scalar("peft/total_rank", self.total_rank(), step=epoch)

    def on_train_end(self, logs=None):
        self._prune(self.target_total)  # a run shorter than the schedule still ends on budget
        if self.ranks_file is not None:
            ranks = {path: int(np.count_nonzero(keras.ops.convert_to_numpy(m.rank_mask)))
                     for path, m in self.modules.items()}
            self.ranks_file.write_text(json.dumps({"total_rank": sum(ranks.values()), "ranks": ranks},
                                                  indent=2), encoding="utf-8")
