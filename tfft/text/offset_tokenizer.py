"""WordPiece tokenization that keeps each token's character offsets, in the graph.

Token-level tasks must map tokens back to the input text (an entity's start
and end, an answer's span), and every task's ids must be the ones the
pretrained embeddings were trained on. This class is BERT tokenization built
from ops that stock TF Serving links: `tfft.text.bert_words` (BERT's clean-up,
CJK and punctuation split, lower-casing and accent stripping, with offsets) and
tensorflow-text's ``FastWordpieceTokenizer`` on each word. Its ids equal those of
Hugging Face ``tokenizers``' BERT pipeline (``tests/test_bert_tokenization.py``
checks Chinese and English text, cased and uncased). Training features and the
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

import keras_hub
import tensorflow as tf
import tensorflow_text as tf_text

from tfft.text.bert_words import bert_words

SUFFIX_INDICATOR = "##"
MAX_CHARACTERS_PER_WORD = 100  # longer words are one unknown token, as in BERT


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
        self.unknown_token = unknown_token
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=self.vocabulary, suffix_indicator=SUFFIX_INDICATOR, unknown_token=unknown_token,
            max_bytes_per_word=4 * MAX_CHARACTERS_PER_WORD, no_pretokenization=True,
            support_detokenization=False,
        )
        self._continuation = tf.constant([t.startswith(SUFFIX_INDICATOR) for t in self.vocabulary])

    @classmethod
    def from_keras_hub(cls, tokenizer) -> "OffsetTokenizer":
        """Builds one from a keras-hub WordPiece tokenizer (BERT-family backbones)."""
        if not isinstance(tokenizer, keras_hub.tokenizers.WordPieceTokenizer):
            raise ValueError(f"{type(tokenizer).__name__} is not a WordPiece tokenizer; token "
                             f"and span tasks need a BERT-style backbone")
        return cls(tokenizer.get_vocabulary(), getattr(tokenizer, "lowercase", False),
                   getattr(tokenizer, "oov_token", "[UNK]"))

    def tokenize(self, texts: tf.Tensor) -> Tokens:
        words = bert_words(texts, self.lowercase)
        flat = words.text.flat_values
        long = tf.strings.length(flat, unit="UTF8_CHAR") > MAX_CHARACTERS_PER_WORD
        pieces, starts, ends = self._wordpiece.tokenize_with_offsets(tf.where(long, self.unknown_token, flat))
        # Piece offsets are bytes of the normalised word: shift them to the normalised
        # text, then map them to the original. A long word's one piece spans the word.
        piece_words = pieces.value_rowids()
        word_start = tf.gather(tf.cast(words.normal_starts.flat_values, tf.int64), piece_words)
        word_long = tf.gather(long, piece_words)
        word_length = tf.gather(tf.cast(tf.strings.length(flat), tf.int64), piece_words)
        normal_starts = tf.where(word_long, word_start, word_start + starts.flat_values)
        normal_ends = tf.where(word_long, word_start + word_length, word_start + ends.flat_values)
        pieces_per_text = tf.reduce_sum(tf.RaggedTensor.from_row_lengths(pieces.row_lengths(),
                                                                         words.text.row_lengths()), axis=1)
        ids = tf.RaggedTensor.from_row_lengths(tf.cast(pieces.flat_values, tf.int32), pieces_per_text)
        word_initial = tf.ragged.map_flat_values(
            lambda flat_ids: tf.logical_not(tf.gather(self._continuation, flat_ids)), ids)
        return Tokens(ids, tf.cast(words.to_original.start(ids.with_flat_values(normal_starts)), tf.int32),
                      tf.cast(words.to_original.end(ids.with_flat_values(normal_ends)), tf.int32), word_initial)
