"""Token ids a text encoder needs up front: the special tokens, and fixed strings' ids.

Example:

>>> start_id, end_id, pad_id = special_ids(tokenizer)
>>> text_ids(tokenizer, "Summary:")
[12654, 1024]
>>> repeated_ids([101], tf.constant(2))   # [[101], [101]], ready to concatenate
>>> tokenize = ids_of(tokenizer)           # strings -> ragged ids, BERT-exact for WordPiece
>>> tokenize(tf.constant(["快递三天了还没到"]))
"""

from __future__ import annotations

import functools
from typing import Callable

import keras_hub
import tensorflow as tf

from tfft.text.offset_tokenizer import OffsetTokenizer


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


def ids_of(tokenizer) -> Callable[[tf.Tensor], tf.RaggedTensor]:
    """The function from a batch of strings to ragged token ids that every tfft path uses.

    WordPiece vocabularies go through `OffsetTokenizer`, whose ids equal BERT's own
    tokenization (keras-hub's lower-casing applies NFKC, which turns Chinese full-width
    punctuation into ASCII ids the checkpoint was not trained with); other tokenizers
    (byte-level BPE, SentencePiece) are called as they are.
    """
    if isinstance(tokenizer, keras_hub.tokenizers.WordPieceTokenizer):
        offsets = _offset_tokenizer(tokenizer)
        return lambda texts: offsets.tokenize(texts).ids
    return tokenizer


@functools.lru_cache(maxsize=8)
def _offset_tokenizer(tokenizer) -> OffsetTokenizer:
    return OffsetTokenizer.from_keras_hub(tokenizer)


def text_ids(tokenizer, text: str) -> list[int]:
    """Token ids of one string, as Python ints (``[]`` for the empty string)."""
    if not text:
        return []
    tokenize = ids_of(tokenizer)
    return [int(i) for i in tf.function(lambda t: tokenize(t))(tf.constant([text]))[0].numpy()]


def repeated_ids(ids: list[int], batch: tf.Tensor) -> tf.RaggedTensor:
    """The same id row ``batch`` times, as a ragged int32 tensor ready to concatenate."""
    row = tf.constant(ids, dtype=tf.int32, shape=[len(ids)])
    return tf.RaggedTensor.from_tensor(tf.tile(row[tf.newaxis], [batch, 1]))
