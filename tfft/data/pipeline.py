"""tf.data pipelines: tokenize once, bucket by length, pad per batch, prefetch.

Padding every row to a fixed length wastes ~90% of the compute on short texts
(see DESIGN.md), so rows are tokenized once into ragged ids and batched with
rows of similar length. Training batches are shuffled with a seed; inference
batches are sorted by length and un-sorted afterwards with ``order``.

Example:

>>> split = encode_split(encoder, examples, targets)
>>> train_ds = training_dataset(split, batch_size=32, seed=42)
>>> eval_ds, order = inference_dataset(split, batch_size=64)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from tfft.data.readers import TextExamples
from tfft.encoding import SegmentEncoder

ENCODE_CHUNK = 4096


@dataclass
class EncodedSplit:
    """Ragged model features plus aligned targets and optional sample weights."""

    token_ids: tf.RaggedTensor
    segment_ids: tf.RaggedTensor
    targets: np.ndarray | None
    sample_weights: np.ndarray | None
    pad_id: int = 0

    def __len__(self) -> int:
        return int(self.token_ids.nrows())

    @property
    def lengths(self) -> np.ndarray:
        return self.token_ids.row_lengths().numpy()

    def take(self, indices: np.ndarray) -> "EncodedSplit":
        pick = lambda a: None if a is None else a[indices]  # noqa: E731
        return EncodedSplit(
            tf.gather(self.token_ids, indices), tf.gather(self.segment_ids, indices),
            pick(self.targets), pick(self.sample_weights), self.pad_id,
        )


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
        targets, sample_weights, encoder.pad_id,
    )


def default_boundaries(max_length: int) -> list[int]:
    """Bucket edges: fine for short texts, coarser for long ones."""
    edges = [8, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 192, 256, 384, 512]
    return [edge for edge in edges if edge < max_length]


def count_batches(lengths: np.ndarray, boundaries: list[int], batch_size: int) -> int:
    """Batches per epoch that `training_dataset` yields (partial batches included)."""
    buckets = np.digitize(lengths, boundaries, right=False)
    counts = np.bincount(buckets, minlength=len(boundaries) + 1)
    return int(sum(-(-count // batch_size) for count in counts))


def _features(split: EncodedSplit) -> dict:
    return {"token_ids": split.token_ids, "segment_ids": split.segment_ids}


def _add_padding_mask(features, *rest):
    features = dict(features)
    features["padding_mask"] = tf.ones_like(features["token_ids"], dtype=tf.int32)
    return (features, *rest)


def _slices(split: EncodedSplit) -> tuple:
    parts = [_features(split)]
    if split.targets is not None:
        parts.append(split.targets)
        if split.sample_weights is not None:
            parts.append(split.sample_weights.astype("float32"))
    return tuple(parts)


def _padding_values(split: EncodedSplit, element_spec) -> tuple:
    values = {"token_ids": split.pad_id, "segment_ids": 0, "padding_mask": 0}
    rest = [tf.constant(0, spec.dtype) for spec in element_spec[1:]]
    return (values, *rest)


def training_dataset(
    split: EncodedSplit, batch_size: int, seed: int, boundaries: list[int] | None = None,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """Shuffled, length-bucketed, padded-per-batch, prefetched training batches."""
    boundaries = boundaries or default_boundaries(int(split.lengths.max()) + 1)
    dataset = tf.data.Dataset.from_tensor_slices(_slices(split))
    if shuffle:
        dataset = dataset.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(_add_padding_mask, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.bucket_by_sequence_length(
        element_length_func=lambda features, *_: tf.shape(features["token_ids"])[0],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padding_values=_padding_values(split, dataset.element_spec),
    )
    if shuffle:
        # Bucketing emits batches grouped by length; mix them so each stretch
        # of training sees short and long batches.
        dataset = dataset.shuffle(256, seed=seed + 1, reshuffle_each_iteration=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def inference_dataset(split: EncodedSplit, batch_size: int) -> tuple[tf.data.Dataset, np.ndarray]:
    """Length-sorted padded batches; ``outputs[np.argsort(order)]`` restores row order."""
    order = np.argsort(split.lengths, kind="stable")
    ordered = split.take(order)
    dataset = tf.data.Dataset.from_tensor_slices(_slices(ordered))
    dataset = dataset.map(_add_padding_mask, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.padded_batch(
        batch_size, padding_values=_padding_values(ordered, dataset.element_spec)
    )
    return dataset.prefetch(tf.data.AUTOTUNE), order


def restore_order(outputs: np.ndarray, order: np.ndarray) -> np.ndarray:
    restored = np.empty_like(outputs)
    restored[order] = outputs
    return restored
