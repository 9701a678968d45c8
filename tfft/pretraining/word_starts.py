"""Which tokens begin a word, for whole-word masking: segmenter words over BERT's tokens.

Chinese has no spaces, so BERT's tokens are single characters and "a word" needs a
segmenter: jieba (as Chinese-BERT-wwm used LTP). A token begins a word when it is
not a ``##`` continuation and a jieba word begins at its first character; a word's
other tokens continue it. For text with spaces this is BERT's own whole-word rule
(jieba keeps a Latin word whole), so the same flags serve English corpora.

Example:

>>> flags = word_start_flags(tokenizer, ["我爱北京天安门"])
>>> flags[0]       # 我 | 爱 | 北京 | 天安门
array([ True,  True,  True, False,  True, False, False])
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import tensorflow as tf

from tfft.text.offset_tokenizer import OffsetTokenizer

logger = logging.getLogger(__name__)

CHUNK = 2048


def segmenter_word_starts(document: str) -> np.ndarray:
    """Character offsets where jieba's words begin in ``document``."""
    import jieba  # loads its dictionary on first use (about a second)

    return np.fromiter((start for _, start, _ in jieba.tokenize(document)), dtype=np.int64)


def byte_to_character(document: str) -> np.ndarray:
    """For each UTF-8 byte offset of ``document`` (and its end), the character offset it falls in."""
    lengths = np.fromiter((len(c.encode("utf-8")) for c in document), dtype=np.int64, count=len(document))
    return np.repeat(np.arange(len(document) + 1), np.append(lengths, 1))


def _starts_and_initials(tokens) -> tuple[tf.RaggedTensor, tf.RaggedTensor]:
    return tokens.starts, tokens.word_initial


def word_start_flags(tokenizer, documents: Sequence[str], source: str = "") -> list[np.ndarray]:
    """Per document, one bool per token of `tfft.text.token_ids.ids_of` (True: a word begins)."""
    offsets = OffsetTokenizer.from_keras_hub(tokenizer)
    tokenize = tf.function(lambda texts: _starts_and_initials(offsets.tokenize(texts)))
    flags: list[np.ndarray] = []
    for first in range(0, len(documents), CHUNK):
        chunk = list(documents[first:first + CHUNK])
        starts, initials = tokenize(tf.constant(chunk))
        for document, starts, initial in zip(chunk, starts.numpy(), initials.numpy()):
            characters = byte_to_character(document)[np.asarray(starts, dtype=np.int64)]
            flags.append(np.asarray(initial, dtype=bool) & np.isin(characters, segmenter_word_starts(document)))
        if len(documents) > CHUNK:
            logger.info(f"  segmented {len(flags)}/{len(documents)} documents into words {source}")
    return flags
