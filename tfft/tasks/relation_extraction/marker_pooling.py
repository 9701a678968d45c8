"""Read the encoder's vectors at the entity-marker tokens (relation extraction heads)."""

from __future__ import annotations

import keras
from keras import ops

from tfft.layers.mask_position import first_position


@keras.saving.register_keras_serializable(package="tfft")
class MarkerPooling(keras.layers.Layer):
    """Concatenates the vectors at the first occurrence of each marker id.

    A marker missing from a row (cut off by truncation) reads position 0, the
    [CLS] vector, so the head still gets a well-defined input.

    Example:

    >>> pooled = MarkerPooling([1, 3])(sequence_output, token_ids)  # [batch, 2 * hidden]
    """

    def __init__(self, marker_ids: list[int], **kwargs):
        super().__init__(**kwargs)
        self.marker_ids = [int(i) for i in marker_ids]

    def call(self, sequence, token_ids):
        vectors = []
        for marker_id in self.marker_ids:
            position = first_position(token_ids, marker_id)
            picked = ops.take_along_axis(sequence, ops.reshape(position, (-1, 1, 1)), axis=1)
            vectors.append(ops.squeeze(picked, axis=1))
        return ops.concatenate(vectors, axis=-1)

    def compute_output_shape(self, sequence_shape, token_ids_shape):
        return (sequence_shape[0], sequence_shape[-1] * len(self.marker_ids))

    def get_config(self):
        return {**super().get_config(), "marker_ids": self.marker_ids}
