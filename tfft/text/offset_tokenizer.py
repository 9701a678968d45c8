"""WordPiece tokenization that keeps each token's character offsets, in the graph.

Token-level tasks must map tokens back to the input text (an entity's start
and end, an answer's span). keras-hub's tokenizers drop offsets, so this class
rebuilds BERT tokenization from tensorflow-text ops that stock TF Serving links:
``FastBertNormalizer`` (lower-casing and accent stripping, with a map back to
the original bytes) and ``FastWordpieceTokenizer`` (BERT pre-tokenization and
WordPiece, with offsets). It uses the backbone tokenizer's vocabulary, so the
ids mean what the pretrained embeddings expect. Training features and the
serving graph both come from this one object.

Offsets are UTF-8 byte offsets into the original strings (what TF string ops
use); `tfft.text.char_offsets` turns them into character offsets.

Example:

>>> tokenizer = OffsetTokenizer.from_keras_hub(loaded.tokenizer)
>>> tokens = tokenizer.tokenize(tf.constant(["Paris, France"]))
>>> tokens.ids, tokens.starts, tokens.ends, tokens.word_initial
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf
import tensorflow_text as tf_text

SUFFIX_INDICATOR = "##"


@dataclass
class Tokens:
    """A batch of tokenized strings; every field is ragged ``[batch, (tokens)]``."""

    ids: tf.RaggedTensor
    starts: tf.RaggedTensor  # byte offset of the token's first byte in the input
    ends: tf.RaggedTensor  # byte offset just past the token's last byte
    word_initial: tf.RaggedTensor  # False for "##" continuation pieces


class OffsetTokenizer(tf.Module):
    """BERT WordPiece with offsets into the original (un-normalised) text.

    Args:
        vocabulary: the WordPiece vocabulary, index = token id.
        lowercase: lower-case and strip accents first (uncased BERT models).
        unknown_token: the vocabulary's unknown token.
    """

    def __init__(self, vocabulary: list[str], lowercase: bool, unknown_token: str = "[UNK]"):
        super().__init__(name="offset_tokenizer")
        self.vocabulary = list(vocabulary)
        self.lowercase = bool(lowercase)
        self._normalizer = tf_text.FastBertNormalizer(lower_case_nfd_strip_accents=self.lowercase)
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=self.vocabulary, suffix_indicator=SUFFIX_INDICATOR, unknown_token=unknown_token,
            no_pretokenization=False, support_detokenization=False,
        )
        self._continuation = tf.constant([t.startswith(SUFFIX_INDICATOR) for t in self.vocabulary])

    @classmethod
    def from_keras_hub(cls, tokenizer) -> "OffsetTokenizer":
        """Builds one from a keras-hub WordPiece tokenizer (BERT-family backbones)."""
        vocabulary = tokenizer.get_vocabulary()
        if not any(t.startswith(SUFFIX_INDICATOR) for t in vocabulary[:5000] + vocabulary[-5000:]):
            raise ValueError(f"{type(tokenizer).__name__} is not a WordPiece tokenizer; token "
                             f"and span tasks need a BERT-style backbone")
        return cls(vocabulary, getattr(tokenizer, "lowercase", False),
                   getattr(tokenizer, "oov_token", "[UNK]"))

    def tokenize(self, texts: tf.Tensor) -> Tokens:
        normalized, to_original = self._normalizer.normalize_with_offsets(texts)
        ids, starts, ends = self._wordpiece.tokenize_with_offsets(normalized)
        # Normalised byte offsets -> original byte offsets, row by row.
        starts = tf.gather(to_original, starts, batch_dims=1)
        ends = tf.gather(to_original, ends, batch_dims=1)
        ids = tf.cast(ids, tf.int32)
        word_initial = tf.ragged.map_flat_values(
            lambda flat: tf.logical_not(tf.gather(self._continuation, flat)), ids
        )
        return Tokens(ids, tf.cast(starts, tf.int32), tf.cast(ends, tf.int32), word_initial)
