"""Model outputs for every batch of a dataset, computed in this process alone.

``model.predict`` under MultiWorkerMirrored splits the batches across workers
and gathers the outputs back; evaluation reports need every row in order on
every worker, and need no collective ops, so they run the model locally.

Example:

>>> logits = predict_locally(model, dataset.map(lambda x, *_: x))
>>> logits.shape
(872, 2)
"""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from tfft.heartbeat import Heartbeat


_STEPS: "weakref.WeakKeyDictionary[keras.Model, tf.types.experimental.GenericFunction]" = \
    weakref.WeakKeyDictionary()


def predict_locally(model: keras.Model, dataset: tf.data.Dataset):
    """Concatenated outputs (an array, or a structure of arrays) of ``model`` on ``dataset``."""
    if model not in _STEPS:  # one traced function per model, reused by every evaluation
        _STEPS[model] = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    step = _STEPS[model]
    batches = int(dataset.cardinality())
    beat = Heartbeat("evaluating", batches if batches > 0 else None, "batches")
    outputs = []
    for done, batch in enumerate(dataset, 1):
        outputs.append(tf.nest.map_structure(np.asarray, step(batch)))
        beat.tick(done)
    return tf.nest.map_structure(lambda *parts: np.concatenate(parts), *outputs)
