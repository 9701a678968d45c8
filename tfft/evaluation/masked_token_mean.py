"""The mean of a per-token value over labelled tokens (targets < 0 are padding or ignored)."""

from __future__ import annotations

import keras
from keras import ops


class MaskedTokenMean(keras.metrics.Metric):
    """Accumulates ``token_values`` over tokens whose target is >= 0; ``result`` is their mean.

    Subclasses define ``token_values(y_true, y_pred)`` (float per token; ``y_true``
    is int32 with negative targets clipped to 0) and may transform the mean in
    ``from_mean``.
    """

    def __init__(self, name: str, **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def token_values(self, y_true, y_pred):
        raise NotImplementedError

    def from_mean(self, mean):
        return mean

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        labelled = ops.cast(y_true >= 0, "float32")
        values = self.token_values(ops.maximum(y_true, 0), y_pred)
        self.total.assign_add(ops.sum(ops.cast(values, "float32") * labelled))
        self.count.assign_add(ops.sum(labelled))

    def result(self):
        return self.from_mean(ops.divide_no_nan(self.total, self.count))
