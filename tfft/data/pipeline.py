"""tf.data pipelines: tokenize once, group by length, pad per batch, prefetch.

Padding every row to a fixed length wastes ~90% of the compute on short texts
(see DESIGN.md), so rows are tokenized once into ragged ids and batched with
rows of similar length. Training batches are length-grouped: each epoch, a
seeded shuffle is cut into mega-batches of ``group_batches`` batches, each
mega-batch is sorted by length and cut into batches, and the batches are
shuffled (what Hugging Face's ``group_by_length`` does). Batches stay full and
hold almost no padding. Inference batches are sorted by length and un-sorted
afterwards with ``order``.

Example:

>>> split = encode_split(encoder, examples, targets)
>>> train_ds = training_dataset(split, batch_size=32, seed=42)
>>> eval_ds, order = inference_dataset(split, batch_size=64)
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from tfft.data.readers import TextExamples
from tfft.encoding import SegmentEncoder

ENCODE_CHUNK = 4096


IGNORE_TARGET = -1  # padding of ragged (per-token) targets; losses skip it


@dataclass
class EncodedSplit:
    """Ragged model features plus aligned targets and optional sample weights.

    ``targets`` is one row per feature: a numpy array (one target per row) or
    a ragged tensor (one target per token, padded with ``IGNORE_TARGET``).
    ``segment_ids`` is None for models that take none (GPT-style); batches
    then hold only ``token_ids`` and ``padding_mask``.
    ``examples`` are the rows the features came from.
    """

    token_ids: tf.RaggedTensor
    segment_ids: tf.RaggedTensor | None
    targets: np.ndarray | tf.RaggedTensor | None
    sample_weights: np.ndarray | None
    pad_id: int = 0
    examples: Any = None

    def __len__(self) -> int:
        return int(self.token_ids.nrows())

    @property
    def lengths(self) -> np.ndarray:
        return self.token_ids.row_lengths().numpy()


def encode_split(
    encoder: SegmentEncoder,
    examples: TextExamples,
    targets: np.ndarray | None = None,
    sample_weights: np.ndarray | None = None,
    verbose: bool = False,
) -> EncodedSplit:
    """Tokenizes all rows once, in chunks, with progress on stderr when ``verbose``."""
    token_parts, segment_parts = [], []
    for start in range(0, len(examples), ENCODE_CHUNK):
        stop = start + ENCODE_CHUNK
        texts = tf.constant(examples.texts[start:stop])
        pairs = tf.constant(examples.pairs[start:stop]) if examples.pairs is not None else None
        token_ids, segment_ids = encoder.encode(texts, pairs)
        token_parts.append(token_ids)
        segment_parts.append(segment_ids)
        if verbose:
            print(f"  tokenized {min(stop, len(examples))}/{len(examples)} rows of {examples.source}",
                  file=sys.stderr, flush=True)
    return EncodedSplit(
        tf.concat(token_parts, axis=0), tf.concat(segment_parts, axis=0),
        targets, sample_weights, encoder.pad_id, examples,
    )


def count_batches(n_rows: int, batch_size: int) -> int:
    """Batches per epoch that `training_dataset` yields (the last may be partial)."""
    return -(-int(n_rows) // int(batch_size))


def length_grouped_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                           group_batches: int = 50) -> list[np.ndarray]:
    """Row indices of one epoch's batches: shuffled, grouped by length, shuffled again."""
    order = rng.permutation(len(lengths))
    group = batch_size * max(int(group_batches), 1)
    batches = []
    for start in range(0, len(order), group):
        chunk = order[start:start + group]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    full = [b for b in batches if len(b) == batch_size]
    partial = [b for b in batches if len(b) < batch_size]
    rng.shuffle(full)
    # At most one partial batch per mega-batch; merged so the epoch has ceil(n / batch) batches.
    tail = np.concatenate(partial) if partial else np.zeros(0, dtype=order.dtype)
    full.extend(tail[i:i + batch_size] for i in range(0, len(tail), batch_size))
    return full


def _batches_of(split: EncodedSplit, index_batches, n_batches: int) -> tf.data.Dataset:
    """Padded batches of ``split`` for each array of row indices ``index_batches()`` yields."""
    indices = tf.data.Dataset.from_generator(
        index_batches, output_signature=tf.TensorSpec([None], tf.int64)
    )
    # A known length gives Keras progress bars a total and stops its
    # "ran out of data" warnings for generator-backed datasets.
    indices = indices.apply(tf.data.experimental.assert_cardinality(n_batches))
    token_ids, segment_ids = split.token_ids, split.segment_ids
    targets = split.targets
    weights = None if split.sample_weights is None else split.sample_weights.astype("float32")

    def gather(index):
        ids = tf.gather(token_ids, index)
        features = {
            "token_ids": ids.to_tensor(split.pad_id),
            "padding_mask": tf.ones_like(ids, dtype=tf.int32).to_tensor(0),
        }
        if segment_ids is not None:
            features["segment_ids"] = tf.gather(segment_ids, index).to_tensor(0)
        parts = [features]
        if targets is not None:
            picked = tf.gather(targets, index)
            parts.append(picked.to_tensor(IGNORE_TARGET) if isinstance(picked, tf.RaggedTensor) else picked)
            if weights is not None:
                parts.append(tf.gather(weights, index))
        return tuple(parts)

    return indices.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def training_dataset(
    split: EncodedSplit, batch_size: int, seed: int, group_batches: int = 50,
) -> tf.data.Dataset:
    """Seeded, length-grouped, padded-per-batch, prefetched training batches.

    Each iteration (epoch) draws a new order; a fresh dataset built with the
    same seed repeats the same sequence of epochs.
    """
    lengths = split.lengths
    epochs = itertools.count()

    def index_batches():
        rng = np.random.default_rng([seed, next(epochs)])
        yield from length_grouped_batches(lengths, batch_size, rng, group_batches)

    return _batches_of(split, index_batches, count_batches(len(split), batch_size))


def inference_dataset(split: EncodedSplit, batch_size: int) -> tuple[tf.data.Dataset, np.ndarray]:
    """Length-sorted padded batches; ``restore_order(outputs, order)`` restores row order."""
    order = np.argsort(split.lengths, kind="stable")
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return _batches_of(split, lambda: iter(batches), len(batches)), order


def restore_order(outputs: np.ndarray, order: np.ndarray) -> np.ndarray:
    restored = np.empty_like(outputs)
    restored[order] = outputs
    return restored
