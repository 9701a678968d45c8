"""Token accuracy that ignores padded / unlabelled positions (targets < 0)."""

from __future__ import annotations

import keras
from keras import ops


class MaskedAccuracy(keras.metrics.Metric):
    """Share of labelled tokens whose arg-max class is the target.

    Example:

    >>> model.compile(loss=..., metrics=[MaskedAccuracy(name="token_accuracy")])
    """

    def __init__(self, name: str = "token_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        labelled = ops.cast(y_true >= 0, "float32")
        hits = ops.cast(ops.equal(ops.argmax(y_pred, axis=-1), y_true), "float32") * labelled
        self.correct.assign_add(ops.sum(hits))
        self.total.assign_add(ops.sum(labelled))

    def result(self):
        return ops.divide_no_nan(self.correct, self.total)
