"""BERT's text clean-up and word split, in the graph, with byte offsets into the original text.

What Google's BERT ``BasicTokenizer`` and Hugging Face ``tokenizers``'
``BertNormalizer`` + ``BertPreTokenizer`` do before WordPiece, character by
character: control characters (and U+0000, U+FFFD) dropped; every whitespace
character a space; each CJK ideograph its own word; each punctuation character
(ASCII symbols and Unicode ``P*``) its own word; for uncased vocabularies, lower
case and accents stripped (NFD, combining marks ``Mn`` removed). Full-width
letters, digits and punctuation stay as they are (``，`` is not ``,``):
Chinese BERT vocabularies hold both, and tensorflow-text's ``FastBertNormalizer``
and keras-hub's lower-casing apply NFKC, which maps one onto the other.

Known differences from ``tokenizers``, none seen in the Chinese or English data:
lower-casing is Unicode's simple (one-to-one) mapping, so a final Greek sigma stays
``σ`` and ``İ`` becomes ``i`` without a dot; a character whose lower-cased, stripped
form is several characters is not split on punctuation inside it.

Example:

>>> words = bert_words(tf.constant(["他说：Hello，World!"]), lowercase=True)
>>> words.text      # [[b'\\xe4\\xbb\\x96', b'\\xe8\\xaf\\xb4', b'\\xef\\xbc\\x9a', b'hello', ...]]
>>> words.starts    # [[0, 3, 6, 9, 14, 17, 22]]
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf
import tensorflow_text as tf_text

# The code-point blocks BERT's _is_chinese_char treats as CJK ideographs.
CJK_BLOCKS = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
              (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
CJK = "[" + "".join(f"\\x{{{low:X}}}-\\x{{{high:X}}}" for low, high in CJK_BLOCKS) + "]"  # RE2
CJK_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_BLOCKS)  # inside a Python re [...]
PUNCTUATION = "[!-/:-@\\[-`{-~\\p{P}]"
WHITESPACE = "[ \\t\\n\\r\\p{Zs}]"
DROPPED = "[\\x{0}\\x{FFFD}\\p{C}]"  # after whitespace: \t \n \r are whitespace, not control


@dataclass
class Words:
    """Words of a batch of strings; ``text`` and the offsets are ragged ``[batch, (words)]``."""

    text: tf.RaggedTensor  # the normalised word
    starts: tf.RaggedTensor  # byte offset of the word's first original character
    ends: tf.RaggedTensor  # byte offset just past its last original character
    normal_starts: tf.RaggedTensor  # where the word begins in the text as normalised
    to_original: "OffsetMap"


@dataclass
class OffsetMap:
    """Byte positions in normalised text -> byte offsets in the original, row by row."""

    normal_starts: tf.RaggedTensor  # [batch, (characters)]: where each character's form begins
    starts: tf.RaggedTensor  # [batch, (characters)]: the character's original bytes
    ends: tf.RaggedTensor

    def start(self, positions: tf.RaggedTensor) -> tf.RaggedTensor:
        """Original start of the character holding each normalised byte position."""
        return self._lookup(self.starts, positions)

    def end(self, positions: tf.RaggedTensor) -> tf.RaggedTensor:
        """Original end of the character holding the byte before each (exclusive) end position."""
        return self._lookup(self.ends, positions - 1)

    def _lookup(self, offsets: tf.RaggedTensor, positions: tf.RaggedTensor) -> tf.RaggedTensor:
        # A dropped character has an empty form at the same start as the next one;
        # the last character starting at or before the position is the one holding it.
        # Flat indices, not a batch_dims gather: that one traces a cond per call, which
        # a serving graph would run on every request.
        boundaries = tf.cast(self.normal_starts, tf.int64).to_tensor(tf.int64.max)
        found = tf.searchsorted(boundaries, tf.cast(positions, tf.int64).to_tensor(), side="right", out_type=tf.int64) - 1
        found = tf.RaggedTensor.from_tensor(found, lengths=positions.row_lengths())
        row_start = tf.gather(self.normal_starts.row_splits, found.value_rowids())
        return found.with_flat_values(tf.gather(offsets.flat_values, row_start + found.flat_values))


def normalized_characters(texts: tf.Tensor, lowercase: bool):
    """Each character's normalised form (spaces around words of their own), and its byte span.

    Returns ragged ``[batch, (characters)]`` strings, starts and ends (bytes, original text).
    """
    characters, starts = tf.strings.unicode_split_with_offsets(texts, "UTF-8")
    flat = characters.flat_values
    ends = starts.with_flat_values(starts.flat_values + tf.cast(tf.strings.length(flat), tf.int64))
    cased = flat
    if lowercase:
        cased = tf.strings.regex_replace(
            tf_text.normalize_utf8(tf.strings.lower(flat, encoding="utf-8"), "NFD"), "\\p{Mn}", "")
    alone = tf.logical_or(tf.strings.regex_full_match(flat, CJK), tf.strings.regex_full_match(cased, PUNCTUATION))
    normal = tf.where(alone, tf.strings.join([" ", cased, " "]), cased)
    normal = tf.where(tf.strings.regex_full_match(flat, DROPPED), "", normal)
    normal = tf.where(tf.strings.regex_full_match(flat, WHITESPACE), " ", normal)
    return characters.with_flat_values(normal), starts, ends


def bert_words(texts: tf.Tensor, lowercase: bool) -> Words:
    """BERT's words of each string, with byte offsets into the string as given."""
    normal, starts, ends = normalized_characters(tf.convert_to_tensor(texts), lowercase)
    to_original = OffsetMap(tf.cumsum(tf.cast(tf.strings.length(normal), tf.int64), axis=1, exclusive=True),
                            starts, ends)
    words, word_starts, word_ends = tf_text.WhitespaceTokenizer().tokenize_with_offsets(
        tf.strings.reduce_join(normal, axis=1))
    return Words(words, to_original.start(word_starts), to_original.end(word_ends), word_starts, to_original)
