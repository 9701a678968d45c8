"""Compile and fit for fine-tuning and pre-training alike: strategy, speed settings, resume.

`compile_for_training` builds the optimizer, loss and metrics inside the
strategy's scope with the run's gradient accumulation, ``steps_per_execution``
and XLA settings. `fit_run` restores the last backup and trains the remaining
steps on one stream of all epochs' batches (`fit_resumable`: a run resumed
mid-epoch first finishes that epoch's remaining batches, then runs the rest,
with one history), measuring the first epoch's throughput.

Example:

>>> compile_for_training(model, training, steps, task.loss(training), task.metrics, strategy)
>>> history, info = fit_run(model, make_stream, steps, training, strategy, folder.backup, callbacks)
>>> info["optimizer_steps"] == steps * training.epochs
True
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Callable

import keras
import tensorflow as tf

from tfft.config import TrainingConfig
from tfft.training.accumulation import configure_train_step
from tfft.training.backup import ResumePoint, restore_backup
from tfft.training.optimizers import build_optimizer
from tfft.training.progress_lines import ProgressLines
from tfft.training.throughput import ThroughputMeter, batch_counts

logger = logging.getLogger(__name__)

XLA_PAD_MULTIPLE = 32


def rows_per_step(training: TrainingConfig) -> int:
    """Rows the pipeline yields per optimizer step (all replicas, all micro-batches)."""
    return int(training.batch_size) * int(training.gradient_accumulation_steps)


def pad_multiple(training: TrainingConfig) -> int:
    if training.pad_to_multiple_of is not None:
        return int(training.pad_to_multiple_of)
    return XLA_PAD_MULTIPLE if training.jit_compile else 1


def effective_learning_rate(training: TrainingConfig) -> float:
    """``learning_rate`` after the config's explicit batch-size rule."""
    rule = training.learning_rate_scaling
    ratio = rows_per_step(training) / float(training.reference_batch_size)
    return float(training.learning_rate) * {"none": 1.0, "linear": ratio, "sqrt": math.sqrt(ratio)}[rule]


def compile_for_training(model: keras.Model, training: TrainingConfig, steps_per_epoch: int,
                         loss, make_metrics: Callable[[], list], strategy: tf.distribute.Strategy,
                         gradient_method=None, loss_function=None, weighted: bool = False,
                         **compile_args) -> None:
    """Compiles ``model`` for the run, creating optimizer and metrics in ``strategy``'s scope.

    Args:
        model: the task model.
        training: the run's training settings (optimizer, schedule, accumulation, XLA).
        steps_per_epoch: micro-steps per epoch, for the learning-rate schedule.
        loss: the task's loss.
        make_metrics: makes the task's metrics (called inside ``strategy``'s scope).
        strategy: the distribution strategy the run trains under.
        gradient_method: a change to how gradients are computed (adversarial training), or None.
        loss_function: a change to the loss the step minimises (distillation), or None.
        weighted: the metrics take the batches' sample weights (Keras passes them to
            ``weighted_metrics`` only), as per-token objectives with weighted targets need.
        **compile_args: passed on to ``model.compile``.
    """
    configure_train_step(model, training.gradient_accumulation_steps, gradient_method, loss_function)
    learning_rate = effective_learning_rate(training)
    logger.info(f"{strategy.num_replicas_in_sync} replica(s) × {training.batch_size // strategy.num_replicas_in_sync} "
                f"rows × {training.gradient_accumulation_steps} micro-batch(es) = {rows_per_step(training)} rows "
                f"per step; learning rate {learning_rate:g} (scaling: {training.learning_rate_scaling})")
    with strategy.scope():
        model.compile(optimizer=build_optimizer(training, steps_per_epoch * training.epochs, learning_rate),
                      loss=loss, **{"weighted_metrics" if weighted else "metrics": make_metrics()},
                      steps_per_execution=training.steps_per_execution,
                      jit_compile=bool(training.jit_compile), **compile_args)


def fit_run(model: keras.Model, make_stream: Callable[[ResumePoint], tf.data.Dataset], steps_per_epoch: int,
            training: TrainingConfig, strategy: tf.distribute.Strategy, backup_dir: Path,
            callbacks: list, **fit_args) -> tuple[dict[str, list], dict]:
    """Restores ``backup_dir``, fits what is left; returns the history and what to record of it."""
    with strategy.scope():  # optimizer slots are created on restore
        start = restore_backup(model, backup_dir, steps_per_epoch)
    meter = ThroughputMeter(lambda: batch_counts(make_stream(start).take(steps_per_epoch)))
    if fit_args.get("verbose") == 2:  # a line per epoch from Keras: not a terminal, so log progress lines too
        callbacks = [*callbacks, ProgressLines(steps_per_epoch, training.epochs, rows_per_step(training),
                                               training.log_every_steps)]
    started = time.perf_counter()
    history = fit_resumable(model, make_stream, start, steps_per_epoch, training.epochs,
                            callbacks=[meter, *callbacks],
                            shuffle=False, **fit_args)  # the stream shuffles with the run seed
    info = {"steps_per_epoch": steps_per_epoch, "replicas": strategy.num_replicas_in_sync,
            "epochs_run": len(history.get("loss", [])),
            "resumed_at_step": start.epoch * steps_per_epoch + start.batch,
            "optimizer_steps": int(model.optimizer.iterations.numpy()),
            "seconds": round(time.perf_counter() - started, 2), "throughput_first_epoch": meter.result()}
    return history, info


def fit_resumable(model: keras.Model, make_stream: Callable[[ResumePoint], tf.data.Dataset],
                  start: ResumePoint, steps_per_epoch: int, epochs: int, **fit_args) -> dict[str, list]:
    """Fits epochs ``start.epoch..epochs-1``, skipping ``start.batch`` batches of the first."""
    history: dict[str, list] = {}
    if start.batch and start.epoch < epochs:
        remaining = steps_per_epoch - start.batch
        _extend(history, model.fit(numeric_only(make_stream(start)), steps_per_epoch=remaining,
                                   initial_epoch=start.epoch, epochs=start.epoch + 1, **fit_args))
        if model.stop_training:  # early stopping ended the run in that epoch
            return history
        start = ResumePoint(start.epoch + 1, 0)
    if start.epoch < epochs:
        _extend(history, model.fit(numeric_only(make_stream(start)), steps_per_epoch=steps_per_epoch,
                                   initial_epoch=start.epoch, epochs=epochs, **fit_args))
    return history


def numeric_only(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset``, after checking no string tensor would reach the accelerator.

    Tokenization belongs in the host-side pipeline: TPUs (and XLA) take no strings.
    """
    for path, spec in keras.tree.flatten_with_path(dataset.element_spec):
        if spec.dtype == tf.string:
            where = "/".join(map(str, path)) or "the top level"
            raise ValueError(f"training batches hold a string tensor at {where}; "
                             f"tokenize in the input pipeline so only numbers reach the device")
    return dataset


def _extend(history: dict[str, list], result: keras.callbacks.History) -> None:
    for name, values in result.history.items():
        history.setdefault(name, []).extend(values)
