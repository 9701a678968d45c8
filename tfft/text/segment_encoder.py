"""Turn raw strings into BERT-style model inputs, identically in training and serving.

The same `SegmentEncoder` tokenizes the training data once (ragged ids, no
padding) and runs inside the exported serving graph, so the two can never drift
apart. Padding happens per batch (to the longest row), never to a fixed length.

Example:

>>> encoder = SegmentEncoder(tokenizer, max_length=128)
>>> token_ids, segment_ids = encoder.encode(tf.constant(["a question"]), tf.constant(["a passage"]))
>>> inputs = encoder.model_inputs(token_ids, segment_ids)  # dense int32 dict
>>> inputs = encoder.serving_inputs(tf.constant(["a question"]))  # the same, in a serving graph
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_text as tf_text

from tfft.text.token_ids import ids_of, special_ids


class SegmentEncoder:
    """Tokenize, trim (round robin across segments) and add [CLS]/[SEP].

    Args:
        tokenizer: a keras-hub tokenizer with ``cls``/``sep``/``pad`` token ids
            (``start_token_id``/``end_token_id`` are used as fallbacks).
        max_length: the longest packed sequence, special tokens included.
    """

    def __init__(self, tokenizer, max_length: int):
        self.tokenizer = tokenizer
        self.token_ids = ids_of(tokenizer)
        self.max_length = int(max_length)
        self.start_id, self.end_id, self.pad_id = special_ids(tokenizer)
        # A single text is laid out as opening + text (cut to text_room) + closing.
        self.opening, self.closing = [self.start_id], [self.end_id]
        self.text_room = self.max_length - 2
        # keras-hub tokenizers return Python lists when called eagerly; in a
        # graph they return ragged tensors, which is what packing needs.
        self._encode_graph = tf.function(self._encode, reduce_retracing=True)
        self._serving_inputs_graph = tf.function(self._serving_inputs, reduce_retracing=True)

    def encode(self, texts: tf.Tensor, pairs: tf.Tensor | None = None):
        """Returns ragged int32 ``(token_ids, segment_ids)`` for a batch of strings."""
        return self._encode_graph(texts, pairs)

    def _encode(self, texts: tf.Tensor, pairs: tf.Tensor | None = None):
        segments = [self.tokenize(texts)]
        if pairs is not None:
            segments.append(self.tokenize(pairs))
        budget = self.max_length - 1 - len(segments)
        trimmed = tf_text.RoundRobinTrimmer(budget).trim(segments)
        token_ids, segment_ids = tf_text.combine_segments(
            trimmed, start_of_sequence_id=self.start_id, end_of_segment_id=self.end_id
        )
        return tf.cast(token_ids, tf.int32), tf.cast(segment_ids, tf.int32)

    def tokenize(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """Ragged token ids of each string (subclasses change how text is split)."""
        return self.token_ids(texts)

    def serving_inputs(self, texts: tf.Tensor, pairs: tf.Tensor | None = None) -> dict:
        """``model_inputs(*encode(texts, pairs))``, built for a serving graph.

        Single texts skip the ragged concatenations of `encode` (some 300 graph
        nodes, a fixed cost on every request): the text's ids are padded once
        and the opening and closing ids written around them by position.
        """
        return self._serving_inputs_graph(texts, pairs)

    def _serving_inputs(self, texts: tf.Tensor, pairs: tf.Tensor | None = None) -> dict:
        if pairs is not None:
            return self.model_inputs(*self.encode(texts, pairs))
        return dense_single_text(tf.cast(self.tokenize(texts), tf.int32)[:, :self.text_room],
                                 self.opening, self.closing, self.pad_id)

    def model_inputs(self, token_ids: tf.RaggedTensor, segment_ids: tf.RaggedTensor) -> dict:
        """Pads a ragged batch to its longest row; masks are int32, as keras-hub backbones take them."""
        return {
            "token_ids": token_ids.to_tensor(self.pad_id),
            "segment_ids": segment_ids.to_tensor(0),
            "padding_mask": tf.ones_like(token_ids, dtype=tf.int32).to_tensor(0),
        }


def dense_single_text(body: tf.RaggedTensor, opening: list[int], closing: list[int], pad_id: int) -> dict:
    """Padded model inputs for rows laid out as ``opening + body + closing`` (ids known when tracing).

    The same tensors as concatenating the ragged rows and padding them.
    """
    lengths = tf.cast(body.row_lengths(), tf.int32)[:, None]
    batch = tf.shape(lengths)[0]
    # Pads and closing ids go in one lookup: position p of a row reads closing[p - length], or a pad.
    tail = tf.constant([*closing, pad_id], tf.int32)
    width = tf.reduce_max(tf.concat([lengths[:, 0], [0]], 0)) + len(closing)
    positions = tf.range(width)[None, :]
    after_body = tf.minimum(tf.maximum(positions - lengths, 0), len(closing))
    rows = tf.where(positions < lengths, body.to_tensor(pad_id, shape=tf.stack([batch, width])), tf.gather(tail, after_body))
    token_ids = tf.concat([tf.tile(tf.constant([opening], tf.int32), [batch, 1]), rows], axis=1)
    length = len(opening) + width
    padding_mask = tf.cast(tf.range(length)[None, :] < lengths + len(opening) + len(closing), tf.int32)
    return {"token_ids": token_ids, "segment_ids": tf.zeros_like(token_ids), "padding_mask": padding_mask}
