"""Split token sequences longer than the model's window into overlapping windows.

Each example's tokens ``[0, n)`` are cut into windows of ``size`` tokens that
start every ``stride`` tokens (the last window ends at ``n``; a short example
is one window). `merge` puts per-token outputs back together: each token takes
its output from the window where it sits furthest from an edge, so every
token is judged with context on both sides. Both run as TF ops, inside the
serving graph as well as in training.

Example:

>>> windows = TokenWindows(size=126, stride=64)
>>> layout = windows.split(token_counts)          # token_counts: int32 [batch]
>>> window_ids = windows.gather(ids, layout)      # ragged [windows, (<=126)]
>>> per_token = windows.merge(window_outputs, token_counts)  # ragged [batch, (n), ...]
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf


@dataclass
class WindowLayout:
    """Where each window comes from."""

    example: tf.Tensor  # int32 [windows]: the example a window belongs to
    start: tf.Tensor  # int32 [windows]: index of the window's first token in its example
    token_index: tf.RaggedTensor  # int32 [windows, (tokens)]: token positions in the example


class TokenWindows:
    """Overlapping fixed-size windows over ragged token sequences.

    Args:
        size: tokens per window (without special tokens).
        stride: tokens between window starts; ``size - stride`` tokens overlap.
    """

    def __init__(self, size: int, stride: int):
        if not 0 < stride <= size:
            raise ValueError(f"window stride must be in (0, {size}], got {stride}")
        self.size = int(size)
        self.stride = int(stride)

    def counts(self, token_counts: tf.Tensor) -> tf.Tensor:
        """Windows per example: 1 + ceil(max(n - size, 0) / stride)."""
        extra = tf.maximum(token_counts - self.size, 0)
        return 1 + (extra + self.stride - 1) // self.stride

    def split(self, token_counts: tf.Tensor) -> WindowLayout:
        token_counts = tf.cast(token_counts, tf.int32)
        counts = self.counts(token_counts)
        example = tf.repeat(tf.range(tf.size(counts), dtype=tf.int32), counts)
        start = tf.ragged.range(counts).flat_values * self.stride
        stop = tf.minimum(start + self.size, tf.gather(token_counts, example))
        return WindowLayout(example, start, tf.ragged.range(start, stop))

    def gather(self, values: tf.RaggedTensor, layout: WindowLayout) -> tf.RaggedTensor:
        """Per-window slices of ragged per-token ``values`` ``[batch, (n), ...]``."""
        row_starts = tf.cast(tf.gather(values.row_splits, layout.example), tf.int32)
        flat_index = layout.token_index + tf.expand_dims(row_starts, 1)
        return tf.gather(values.flat_values, flat_index)

    def owner(self, token_counts: tf.Tensor) -> tuple[tf.Tensor, tf.RaggedTensor]:
        """For each token: (window number within its example, position in that window)."""
        token_counts = tf.cast(token_counts, tf.int32)
        positions = tf.ragged.range(token_counts)
        half_overlap = (self.size - self.stride) // 2
        last = tf.gather(self.counts(token_counts) - 1, positions.value_rowids())
        flat = tf.minimum(tf.maximum((positions.flat_values - half_overlap) // self.stride, 0), last)
        window = positions.with_flat_values(flat)
        return window, positions - window * self.stride

    def merge(self, outputs: tf.Tensor, token_counts: tf.Tensor, offset: int = 1) -> tf.RaggedTensor:
        """Per-token outputs from padded per-window ``outputs`` ``[windows, T, ...]``.

        ``offset`` is where a window's first token sits in its model input
        (1 after [CLS]).
        """
        token_counts = tf.cast(token_counts, tf.int32)
        first_window = tf.cumsum(self.counts(token_counts), exclusive=True)
        window, position = self.owner(token_counts)
        feature = window + tf.expand_dims(first_window, 1)
        index = tf.stack([feature.flat_values, position.flat_values + offset], axis=1)
        return tf.RaggedTensor.from_row_splits(tf.gather_nd(outputs, index), window.row_splits)
