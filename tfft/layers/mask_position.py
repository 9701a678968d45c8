"""Where the [MASK] token sits in each row (the input of a masked-LM head)."""

from __future__ import annotations

import keras
from keras import ops


def first_position(token_ids, token_id: int):
    """``[batch]`` int32 index of the first ``token_id`` in each row (0 where a row has none)."""
    return ops.cast(ops.argmax(ops.cast(ops.equal(token_ids, token_id), "int32"), axis=1), "int32")


@keras.saving.register_keras_serializable(package="tfft")
class MaskPosition(keras.layers.Layer):
    """The index of the first ``mask_id`` in each row, shape ``[batch, 1]`` (0 if a row has none).

    Example:

    >>> positions = MaskPosition(103)(inputs["token_ids"])
    >>> vocabulary_logits = masked_lm_head(sequence_output, mask_positions=positions)
    """

    def __init__(self, mask_id: int, **kwargs):
        super().__init__(**kwargs)
        self.mask_id = int(mask_id)

    def call(self, token_ids):
        return ops.expand_dims(first_position(token_ids, self.mask_id), 1)

    def compute_output_shape(self, token_ids_shape):
        return (token_ids_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "mask_id": self.mask_id}
