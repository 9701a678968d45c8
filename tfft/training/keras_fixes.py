"""A fix for Keras 3 fit/evaluate under MultiWorkerMirroredStrategy.

Keras reduces each step's logs with ``strategy.reduce("MEAN", value, axis=0)``
on a multi-worker strategy, which fails for the scalar loss and metrics
("Invalid reduction dimension 0 for input with 0 dimensions";
tensorflow/tensorflow#72388, open against Keras 3). Scalars (per-replica or,
with one replica per worker, plain) are averaged across workers without an
axis instead; everything else goes to Keras unchanged.

Example:

>>> patch_multi_worker_reduce()   # once, before model.fit under MultiWorkerMirrored
"""

from __future__ import annotations

import tensorflow as tf
from keras.src.backend.tensorflow import trainer as tf_trainer

_original_reduce = tf_trainer.reduce_per_replica


def _reduce_per_replica(values, strategy, reduction):
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or reduction == "concat":
        return _original_reduce(values, strategy, reduction)

    def reduce_one(value):
        local = value.values[0] if isinstance(value, tf.distribute.DistributedValues) else value
        if getattr(local, "shape", None) is not None and local.shape.rank == 0:
            return strategy.reduce("SUM" if reduction == "sum" else "MEAN", value, axis=None)
        return _original_reduce(value, strategy, reduction)

    return tf.nest.map_structure(reduce_one, values)


def patch_multi_worker_reduce() -> None:
    tf_trainer.reduce_per_replica = _reduce_per_replica
