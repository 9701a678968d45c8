"""Perplexity over labelled tokens only (targets < 0 are prompt or padding)."""

from __future__ import annotations

import keras
from keras import ops


class MaskedPerplexity(keras.metrics.Metric):
    """exp(mean cross-entropy) over the tokens whose target is >= 0.

    Example:

    >>> model.compile(loss=..., metrics=[MaskedPerplexity(name="perplexity")])
    """

    def __init__(self, name: str = "perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total_loss = self.add_variable(shape=(), initializer="zeros", name="total_loss")
        self.tokens = self.add_variable(shape=(), initializer="zeros", name="tokens")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        labelled = ops.cast(y_true >= 0, "float32")
        losses = keras.losses.sparse_categorical_crossentropy(
            ops.maximum(y_true, 0), ops.cast(y_pred, "float32"), from_logits=True)
        self.total_loss.assign_add(ops.sum(losses * labelled))
        self.tokens.assign_add(ops.sum(labelled))

    def result(self):
        return ops.exp(ops.divide_no_nan(self.total_loss, self.tokens))
