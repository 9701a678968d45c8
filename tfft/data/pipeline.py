"""tf.data pipelines: tokenize once, group by length, pad per batch, prefetch.

Padding every row to a fixed length wastes most of the compute on short texts
(about 90% on SST-2 at 128 tokens), so rows are tokenized once into ragged ids and batched with
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

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from tfft.data.readers import TextExamples
from tfft.text.segment_encoder import SegmentEncoder

logger = logging.getLogger(__name__)

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
            logger.info(f"  tokenized {min(stop, len(examples))}/{len(examples)} rows of {examples.source}")
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


def index_batches(batches: list[np.ndarray]) -> tf.data.Dataset:
    """One int64 vector of row indices per batch, from a constant (no Python generator)."""
    sizes = np.asarray([len(batch) for batch in batches], dtype="int64")
    flat = np.concatenate(batches).astype("int64") if len(batches) else np.zeros(0, "int64")
    return tf.data.Dataset.from_tensor_slices(tf.RaggedTensor.from_row_lengths(flat, sizes))


def _batches_of(split: EncodedSplit, batches: list[np.ndarray],
                pad_to_multiple_of: int = 1) -> tf.data.Dataset:
    """Padded batches of ``split``, one per array of row indices in ``batches``.

    The row indices are a constant of the dataset graph (no Python generator),
    so the pipeline can be serialised to tf.data service workers and to TPU hosts.
    """
    indices = index_batches(batches)
    token_ids, segment_ids = split.token_ids, split.segment_ids
    targets = split.targets
    weights = None if split.sample_weights is None else split.sample_weights.astype("float32")
    longest = int(split.lengths.max()) if len(split) else 1
    multiple = max(int(pad_to_multiple_of), 1)

    def padded(ragged: tf.RaggedTensor, value) -> tf.Tensor:
        if multiple == 1:
            return ragged.to_tensor(value)
        # Few distinct lengths, so XLA compiles few shapes; never past the longest row.
        width = tf.minimum(-(-tf.reduce_max(ragged.row_lengths()) // multiple) * multiple, longest)
        return ragged.to_tensor(value, shape=tf.stack([ragged.nrows(), width]))

    def gather(index):
        index = index.values if isinstance(index, tf.RaggedTensor) else index
        ids = tf.gather(token_ids, index)
        features = {
            "token_ids": padded(ids, split.pad_id),
            "padding_mask": padded(tf.ones_like(ids, dtype=tf.int32), 0),
        }
        if segment_ids is not None:
            features["segment_ids"] = padded(tf.gather(segment_ids, index), 0)
        parts = [features]
        if targets is not None:
            picked = tf.gather(targets, index)
            parts.append(padded(picked, IGNORE_TARGET) if isinstance(picked, tf.RaggedTensor) else picked)
            if weights is not None:
                parts.append(tf.gather(weights, index))
        return tuple(parts)

    dataset = indices.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    options = tf.data.Options()
    # Whole batches are the unit: each worker takes its replicas' share of every global batch.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def epoch_batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int,
                  group_batches: int = 50) -> list[np.ndarray]:
    """Row indices of epoch ``epoch``'s batches: the same for any run with ``seed``."""
    return length_grouped_batches(lengths, batch_size, np.random.default_rng([seed, epoch]), group_batches)


def training_dataset(
    split: EncodedSplit, batch_size: int, seed: int, group_batches: int = 50, epochs: int = 1,
    first_epoch: int = 0, skip_batches: int = 0, pad_to_multiple_of: int = 1,
    service: str | None = None,
) -> tf.data.Dataset:
    """Seeded, length-grouped, padded-per-batch, prefetched batches of epochs ``first_epoch..epochs-1``.

    One stream for all epochs (fit it with ``steps_per_epoch``); each epoch
    draws its own order from ``(seed, epoch)``, so a run resumed at (epoch,
    batch) with ``first_epoch``/``skip_batches`` sees exactly the batches the
    uninterrupted run would have. ``service`` (``grpc://host:port`` of a
    tf.data service dispatcher) moves the padding work to its workers.

    Args:
        split: the encoded training rows (`encode_split`).
        batch_size: rows per batch (the global batch of one micro-step).
        seed: the shuffle seed; each epoch's order comes from ``(seed, epoch)``.
        group_batches: batches per length-sorted mega-batch.
        epochs: the stream ends after epoch ``epochs - 1``.
        first_epoch: the epoch the stream starts at (a resumed run).
        skip_batches: batches of ``first_epoch`` already trained (a resumed run).
        pad_to_multiple_of: pad each batch's length to a multiple of this (XLA wants few shapes).
        service: ``grpc://host:port`` of a tf.data service dispatcher, or None.
    """
    lengths = split.lengths
    batches = [batch for epoch in range(first_epoch, epochs)
               for batch in epoch_batches(lengths, batch_size, seed, epoch, group_batches)][skip_batches:]
    dataset = _batches_of(split, batches, pad_to_multiple_of)
    if service:
        dataset = dataset.apply(tf.data.experimental.service.distribute(
            processing_mode=tf.data.experimental.service.ShardingPolicy.OFF, service=service))
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return dataset.prefetch(tf.data.AUTOTUNE)


def inference_dataset(split: EncodedSplit, batch_size: int) -> tuple[tf.data.Dataset, np.ndarray]:
    """Length-sorted padded batches; ``restore_order(outputs, order)`` restores row order."""
    order = np.argsort(split.lengths, kind="stable")
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return _batches_of(split, batches).prefetch(tf.data.AUTOTUNE), order


def restore_order(outputs: np.ndarray, order: np.ndarray) -> np.ndarray:
    restored = np.empty_like(outputs)
    restored[order] = outputs
    return restored
