"""Cross-entropy over positions for the start and the end of an answer span."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfft")
class SpanLoss(keras.losses.Loss):
    """Mean of the start-position and end-position cross-entropies.

    ``y_true``: int ``[batch, 2]`` (start, end positions); ``y_pred``: logits
    ``[batch, length, 2]``.

    Example:

    >>> model.compile(optimizer="adamw", loss=SpanLoss())
    """

    def __init__(self, name: str = "span_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        start = keras.losses.sparse_categorical_crossentropy(y_true[:, 0], y_pred[:, :, 0], from_logits=True)
        end = keras.losses.sparse_categorical_crossentropy(y_true[:, 1], y_pred[:, :, 1], from_logits=True)
        return (start + end) / 2.0
