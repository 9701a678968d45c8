"""The callbacks every run folder gets, for fine-tuning and pre-training alike.

Resume state, per-epoch weights, the step learning rate and TensorBoard (with
a profiler trace of ``training.profile_steps``), plus early stopping on a
monitor whose direction follows its name.

Example:

>>> callbacks = [meter, *folder_callbacks(folder, config.training)]
>>> callbacks += early_stopping(config.training, "val_loss")
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfft.config import TrainingConfig
from tfft.run_folder import RunFolder
from tfft.training.learning_rate_logger import LearningRateLogger
from tfft.training.backup import StepBackup
from tfft.training.weights import EpochCheckpoint

LOWER_IS_BETTER = ("loss", "perplexity")


def folder_callbacks(folder: RunFolder, training: TrainingConfig) -> list[keras.callbacks.Callback]:
    """Backup for resuming, epoch checkpoints, learning-rate and TensorBoard logs (TensorBoard last)."""
    return [
        StepBackup(folder.backup, training.backup_every_steps),
        EpochCheckpoint(folder.checkpoints, training.keep_checkpoints),
        LearningRateLogger(folder.logs, training.log_every_steps),
        StepTensorBoard(str(folder.logs), update_freq=training.log_every_steps,
                        profile_batch=training.profile_range),
    ]


class StepTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard counting batches from the optimizer's step, so a resumed run's curves continue.

    Keras' callback leaves its "record every ``update_freq`` steps" condition
    set between batches, so at an epoch's end it records only if the step
    count happens to divide by ``update_freq`` (tensorflow/tensorflow#49109):
    an SST-2 epoch of 2105 steps logged every 50 lost every epoch and
    validation curve. Epoch and evaluation summaries are recorded always
    (other callbacks write through `tfft.summaries.recording`).
    """

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._global_train_batch = int(self.model.optimizer.iterations.numpy())

    def on_epoch_end(self, epoch, logs=None):
        with tf.summary.record_if(True):
            super().on_epoch_end(epoch, logs)

    def on_test_end(self, logs=None):
        with tf.summary.record_if(True):
            super().on_test_end(logs)


def early_stopping(training: TrainingConfig, monitor: str) -> list[keras.callbacks.Callback]:
    """EarlyStopping on ``monitor`` when ``training.early_stopping_patience`` is set (best weights kept)."""
    if not training.early_stopping_patience:
        return []
    mode = "min" if any(word in monitor for word in LOWER_IS_BETTER) else "max"
    return [keras.callbacks.EarlyStopping(monitor=monitor, patience=training.early_stopping_patience,
                                          mode=mode, restore_best_weights=True, verbose=1)]
