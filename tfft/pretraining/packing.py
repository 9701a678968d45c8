"""Sequence packing: tokenize every document once and cut the stream into full blocks.

Documents are joined with a separator token and the stream is cut into
``block_length`` blocks (each wrapped in the objective's prefix/suffix ids),
so no compute is spent on padding. The remainder shorter than a block is
dropped, as Hugging Face's ``group_texts`` does.

Example:

>>> blocks = pack_blocks(token_ids, block_length=128, separator_id=102, prefix=[101], suffix=[102])
>>> blocks.shape
(412, 128)
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import tensorflow as tf

from tfft.text.token_ids import ids_of

logger = logging.getLogger(__name__)

TOKENIZE_CHUNK = 2048


def tokenize_documents(tokenizer, documents: Sequence[str], source: str = "") -> list[np.ndarray]:
    """Token ids of each document, tokenized in graph-mode chunks with progress."""
    token_ids = ids_of(tokenizer)
    tokenize = tf.function(lambda texts: token_ids(texts))
    ids: list[np.ndarray] = []
    for start in range(0, len(documents), TOKENIZE_CHUNK):
        ragged = tokenize(tf.constant(list(documents[start:start + TOKENIZE_CHUNK])))
        ids.extend(np.asarray(row, dtype=np.int32) for row in ragged.numpy())
        if len(documents) > TOKENIZE_CHUNK:
            logger.info(f"  tokenized {len(ids)}/{len(documents)} documents {source}")
    return ids


def pack_blocks(token_ids: Sequence[np.ndarray], block_length: int, separator_id: int,
                prefix: Sequence[int] = (), suffix: Sequence[int] = ()) -> np.ndarray:
    """int32 ``[blocks, block_length]``: documents + separators, cut and wrapped."""
    content = block_length - len(prefix) - len(suffix)
    if content < 1:
        raise ValueError(f"block length {block_length} leaves no room for text between "
                         f"{len(prefix)} prefix and {len(suffix)} suffix tokens")
    separator = np.asarray([separator_id], dtype=np.int32)
    stream = np.concatenate([part for ids in token_ids for part in (ids, separator)] or [separator])
    count = len(stream) // content
    body = stream[:count * content].reshape(count, content)
    return np.concatenate([_repeated(prefix, count), body, _repeated(suffix, count)], axis=1)


def _repeated(ids: Sequence[int], count: int) -> np.ndarray:
    return np.tile(np.asarray(ids, dtype=np.int32).reshape(1, -1), (count, 1))
