"""AdamW as BERT fine-tuning expects it: no decay on LayerNorm or bias, clipped gradients.

Clipping is by the norm of the whole batch's gradient, as on one device: Keras
clips each replica's part before summing them under a tf.distribute strategy,
and measures a sparse embedding gradient by its un-summed rows (a token seen
twice counts twice). `AdamW` sums across replicas first and merges duplicate
rows before measuring.

Example:

>>> optimizer = build_optimizer(TrainingConfig(learning_rate=3e-5), total_steps=1000)
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfft.config import TrainingConfig
from tfft.training.schedules import WarmupDecay

# Keras names LayerNorm weights gamma/beta; keras-hub names its norms *layer_norm*.
NO_DECAY = ["bias", "gamma", "beta", "layer_norm", "LayerNorm"]


@keras.saving.register_keras_serializable(package="tfft")
class AdamW(keras.optimizers.AdamW):
    """Keras AdamW whose ``global_clipnorm`` sees the replica-summed gradient, duplicate rows merged."""

    def _clip_gradients(self, grads):
        if not self.global_clipnorm:
            return super()._clip_gradients(grads)
        grads = list(grads)
        if self._sums_before_clipping():
            present = [index for index, g in enumerate(grads) if g is not None]
            summed = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, [grads[i] for i in present])
            for index, g in zip(present, summed):
                grads[index] = g
        return super()._clip_gradients([_merge_duplicate_rows(g) for g in grads])

    def _all_reduce_sum_gradients(self, grads_and_vars):
        if self._sums_before_clipping():  # `_clip_gradients` summed them already
            return list(grads_and_vars)
        return super()._all_reduce_sum_gradients(grads_and_vars)

    def _sums_before_clipping(self) -> bool:
        context = tf.distribute.get_replica_context()
        return bool(self.global_clipnorm) and context is not None and context.num_replicas_in_sync > 1


def _merge_duplicate_rows(gradient):
    """A sparse gradient with one row per index, so its values' norm is the true norm."""
    if not isinstance(gradient, tf.IndexedSlices):
        return gradient
    rows, positions = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, positions, tf.shape(rows)[0])
    return tf.IndexedSlices(values, rows, gradient.dense_shape)


def build_optimizer(training: TrainingConfig, total_steps: int,
                    learning_rate: float | None = None) -> keras.optimizers.Optimizer:
    """AdamW on a warm-up/decay schedule peaking at ``learning_rate`` (default: the config's)."""
    schedule = WarmupDecay(
        training.learning_rate if learning_rate is None else learning_rate,
        warmup_steps=int(round(training.warmup_ratio * total_steps)),
        total_steps=total_steps,
        decay=training.decay,
    )
    optimizer = AdamW(
        learning_rate=schedule,
        weight_decay=training.weight_decay,
        epsilon=1e-6,
        global_clipnorm=training.clip_norm,
    )
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY)
    return optimizer
