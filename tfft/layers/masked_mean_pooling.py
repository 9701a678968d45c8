"""Mean pooling over the non-padded tokens of a sequence."""

import keras


@keras.saving.register_keras_serializable(package="tfft")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of the token vectors where ``padding_mask`` is 1.

    Example:

    >>> pooled = MaskedMeanPooling()(outputs["sequence_output"], inputs["padding_mask"])
    """

    def call(self, sequence, padding_mask):
        mask = keras.ops.cast(keras.ops.expand_dims(padding_mask, -1), sequence.dtype)
        total = keras.ops.sum(sequence * mask, axis=1)
        return total / keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)

    def compute_output_shape(self, sequence_shape, padding_mask_shape):
        return (sequence_shape[0], sequence_shape[-1])
