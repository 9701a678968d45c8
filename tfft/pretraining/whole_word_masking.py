"""Whole-word masking: words are chosen at the mask rate, and every token of a chosen word is masked.

Each chosen token becomes ``[MASK]`` 80% of the time, a random token 10% and stays
10%, as in BERT; outputs have the layout of keras-hub's ``MaskedLMMaskGenerator``
(``token_ids``, ``mask_positions``, ``mask_ids``, ``mask_weights``), so keras-hub's
``BertMaskedLM`` trains on them unchanged. A row whose chosen tokens exceed
``selection_length`` keeps its first words whole and leaves the rest unmasked.

Example:

>>> masker = WholeWordMasker(vocabulary_size=8000, mask_rate=0.15, mask_token_id=4,
...                          selection_length=24, unselectable_token_ids=[0, 2, 3])
>>> masked = masker(token_ids, word_starts)    # both [batch, block]
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf


class WholeWordMasker:
    """Draws whole-word masks for a batch of blocks.

    Args:
        vocabulary_size: ids are drawn from ``[0, vocabulary_size)`` for random replacements.
        mask_rate: the share of words chosen.
        mask_token_id: the ``[MASK]`` id.
        selection_length: the most masked tokens per row (the width of ``mask_positions``).
        unselectable_token_ids: never masked ([CLS], [SEP], [PAD]).
    """

    def __init__(self, vocabulary_size: int, mask_rate: float, mask_token_id: int, selection_length: int,
                 unselectable_token_ids: Sequence[int]):
        self.vocabulary_size = int(vocabulary_size)
        self.mask_rate = float(mask_rate)
        self.mask_token_id = int(mask_token_id)
        self.selection_length = int(selection_length)
        self.unselectable = tf.constant(list(unselectable_token_ids), dtype=tf.int32)

    def __call__(self, token_ids: tf.Tensor, word_starts: tf.Tensor) -> dict[str, tf.Tensor]:
        token_ids = tf.cast(token_ids, tf.int32)
        selectable = tf.reduce_all(tf.not_equal(token_ids[..., tf.newaxis], self.unselectable), axis=-1)
        # Word number of each token within its row; a chosen word masks all of its tokens.
        words = tf.cumsum(tf.cast(word_starts, tf.int32), axis=1)
        chosen_words = tf.random.uniform(tf.shape(token_ids)) < self.mask_rate
        chosen = tf.logical_and(tf.gather(chosen_words, words, batch_dims=1), selectable)
        chosen = tf.logical_and(chosen, self._whole_words_within_budget(chosen, words))
        draw = tf.random.uniform(tf.shape(token_ids))
        random_ids = tf.random.uniform(tf.shape(token_ids), maxval=self.vocabulary_size, dtype=tf.int32)
        masked = tf.where(draw < 0.8, self.mask_token_id, tf.where(draw < 0.9, random_ids, token_ids))
        positions = tf.ragged.boolean_mask(tf.broadcast_to(tf.range(tf.shape(token_ids)[1]), tf.shape(token_ids)),
                                           chosen)
        shape = [None, self.selection_length]
        return {"token_ids": tf.where(chosen, masked, token_ids),
                "mask_positions": positions.to_tensor(0, shape=shape),
                "mask_ids": tf.gather(token_ids, positions, batch_dims=1).to_tensor(0, shape=shape),
                "mask_weights": tf.ones_like(positions, dtype=tf.float32).to_tensor(0.0, shape=shape)}

    def _whole_words_within_budget(self, chosen: tf.Tensor, words: tf.Tensor) -> tf.Tensor:
        """True for tokens of chosen words that end within the first ``selection_length`` chosen tokens."""
        count = tf.cumsum(tf.cast(chosen, tf.int32), axis=1)
        # A word fits when the count after its last token is within budget: the largest count in it.
        word_last = tf.math.unsorted_segment_max(
            tf.reshape(count, [-1]), tf.reshape(words + _row_offsets(words), [-1]),
            num_segments=tf.size(words) + tf.shape(words)[0])
        fits = tf.gather(word_last, words + _row_offsets(words)) <= self.selection_length
        return fits


def _row_offsets(words: tf.Tensor) -> tf.Tensor:
    """Makes word numbers unique across rows: row r's words start at r × (block + 1)."""
    rows, width = tf.shape(words)[0], tf.shape(words)[1]
    return (tf.range(rows) * (width + 1))[:, tf.newaxis]
