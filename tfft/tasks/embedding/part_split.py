"""Several texts packed in one row → one row per text, so a backbone embeds each alone.

The data pipeline batches one token sequence per row. A row of the embedding
task holds an anchor, its positive and any hard negatives, each encoded on
its own ([CLS] text [SEP]) and concatenated; ``segment_ids`` carries each
token's part number instead of a segment. `PartSplit` cuts the parts out and
stacks them part-major (all anchors, then all positives, ...), each starting at
position 0 as if it had been encoded alone.

Example:

>>> token_ids, padding_mask = PartSplit(parts=2)(inputs["token_ids"], inputs["segment_ids"],
...                                              inputs["padding_mask"])
>>> token_ids.shape  # (2 * batch, longest part)
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfft")
class PartSplit(keras.layers.Layer):
    """Args:
        parts: texts per row (anchor, positive and hard negatives).
        pad_id: the id written after a part's last token.
    """

    def __init__(self, parts: int, pad_id: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.parts = int(parts)
        self.pad_id = int(pad_id)

    def call(self, token_ids, part_ids, padding_mask):
        real = tf.cast(padding_mask, tf.bool)
        pieces = [tf.ragged.boolean_mask(token_ids, real & tf.equal(part_ids, part)) for part in range(self.parts)]
        stacked = tf.concat(pieces, axis=0)
        ids = stacked.to_tensor(self.pad_id)
        return ids, tf.cast(tf.ones_like(stacked).to_tensor(0), padding_mask.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "parts": self.parts, "pad_id": self.pad_id}
