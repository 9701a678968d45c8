"""Class logits read off a masked-LM head: the scores of each label's word (a verbalizer)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfft")
class LabelWordLogits(keras.layers.Layer):
    """Picks the vocabulary logits of one word per class, in class order, as float32.

    Example:

    >>> logits = LabelWordLogits([6659, 2307])(vocabulary_logits)  # [batch, 1, vocab] -> [batch, 2]
    """

    def __init__(self, word_ids: list[int], **kwargs):
        kwargs.setdefault("dtype", "float32")  # class logits and the loss stay float32
        super().__init__(**kwargs)
        self.word_ids = [int(i) for i in word_ids]

    def call(self, vocabulary_logits):
        scores = ops.take(ops.cast(vocabulary_logits, "float32"), self.word_ids, axis=-1)
        return ops.reshape(scores, (-1, len(self.word_ids)))

    def compute_output_shape(self, vocabulary_logits_shape):
        return (vocabulary_logits_shape[0], len(self.word_ids))

    def get_config(self):
        return {**super().get_config(), "word_ids": self.word_ids}
