"""Token accuracy that ignores padded / unlabelled positions (targets < 0)."""

from __future__ import annotations

from keras import ops

from tfft.evaluation.masked_token_mean import MaskedTokenMean


class MaskedAccuracy(MaskedTokenMean):
    """Share of labelled tokens whose arg-max class is the target.

    Example:

    >>> model.compile(loss=..., metrics=[MaskedAccuracy(name="token_accuracy")])
    """

    def __init__(self, name: str = "token_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)

    def token_values(self, y_true, y_pred):
        return ops.equal(ops.argmax(y_pred, axis=-1), y_true)
