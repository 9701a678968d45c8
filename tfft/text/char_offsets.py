"""Turn UTF-8 byte offsets into character offsets, in the graph.

TF string ops count bytes; users (and Python's ``str``) count characters.
Served offsets are characters, so ``text[start:end]`` in Python is the span.

Example:

>>> to_char_offsets(tf.constant(["café au lait"]), tf.ragged.constant([[6, 8]]))
<tf.RaggedTensor [[5, 7]]>
"""

from __future__ import annotations

import tensorflow as tf


def to_char_offsets(texts: tf.Tensor, byte_offsets: tf.RaggedTensor) -> tf.RaggedTensor:
    """Characters that start before each byte offset, row by row (ragged int32)."""
    _, char_bytes = tf.strings.unicode_decode_with_offsets(
        texts, "UTF-8", errors="replace", replacement_char=0xFFFD
    )
    char_bytes = tf.cast(char_bytes, tf.int64)
    byte_offsets = tf.cast(byte_offsets, tf.int64)
    # Rows are made one sorted array by adding row * stride, so a single
    # searchsorted answers every row at once.
    stride = tf.cast(tf.reduce_max(tf.concat([tf.strings.length(texts), [0]], 0)), tf.int64) + 2
    keys = char_bytes.flat_values + char_bytes.value_rowids() * stride
    queries = byte_offsets.flat_values + byte_offsets.value_rowids() * stride
    found = tf.searchsorted(keys, queries, side="left", out_type=tf.int64)
    first_char = tf.gather(char_bytes.row_splits, byte_offsets.value_rowids())
    return byte_offsets.with_flat_values(tf.cast(found - first_char, tf.int32))
