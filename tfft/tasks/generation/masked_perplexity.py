"""Perplexity over labelled tokens only (targets < 0 are prompt or padding)."""

from __future__ import annotations

import keras
from keras import ops

from tfft.evaluation.masked_token_mean import MaskedTokenMean


class MaskedPerplexity(MaskedTokenMean):
    """exp(mean cross-entropy) over the tokens whose target is >= 0.

    Example:

    >>> model.compile(loss=..., metrics=[MaskedPerplexity(name="perplexity")])
    """

    def __init__(self, name: str = "perplexity", **kwargs):
        super().__init__(name=name, **kwargs)

    def token_values(self, y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, ops.cast(y_pred, "float32"), from_logits=True)

    def from_mean(self, mean):
        return ops.exp(mean)
