"""Token ids a text encoder needs up front: the special tokens, and fixed strings' ids.

Example:

>>> start_id, end_id, pad_id = special_ids(tokenizer)
>>> text_ids(tokenizer, "Summary:")
[12654, 1024]
>>> repeated_ids([101], tf.constant(2))   # [[101], [101]], ready to concatenate
"""

from __future__ import annotations

import tensorflow as tf


def special_id(tokenizer, name: str, fallback: str) -> int:
    """The tokenizer's ``name`` id (BERT's spelling), else its ``fallback`` (keras-hub's generic one)."""
    value = getattr(tokenizer, name, None)
    if value is None:
        value = getattr(tokenizer, fallback, None)
    if value is None:
        raise ValueError(f"tokenizer {type(tokenizer).__name__} has no {name} or {fallback}")
    return int(value)


def special_ids(tokenizer) -> tuple[int, int, int]:
    """(start, end, pad) ids: [CLS], [SEP] and [PAD] for BERT-style tokenizers."""
    return (special_id(tokenizer, "cls_token_id", "start_token_id"),
            special_id(tokenizer, "sep_token_id", "end_token_id"),
            special_id(tokenizer, "pad_token_id", "pad_token_id"))


def text_ids(tokenizer, text: str) -> list[int]:
    """Token ids of one string, as Python ints (``[]`` for the empty string)."""
    if not text:
        return []
    return [int(i) for i in tf.function(lambda t: tokenizer(t))(tf.constant([text]))[0].numpy()]


def repeated_ids(ids: list[int], batch: tf.Tensor) -> tf.RaggedTensor:
    """The same id row ``batch`` times, as a ragged int32 tensor ready to concatenate."""
    row = tf.constant(ids, dtype=tf.int32, shape=[len(ids)])
    return tf.RaggedTensor.from_tensor(tf.tile(row[tf.newaxis], [batch, 1]))
