"""Integrated gradients over token embeddings, with the completeness check.

For an input with token embeddings ``x``, a baseline ``b`` (the same
sequence with every text token replaced by [PAD] or [MASK]; [CLS], [SEP] and
padding kept) and a score ``F`` (one label's probability), the attribution
of token ``i`` is ``(x_i - b_i) · mean_k ∇_i F(b + α_k (x - b))`` with the
``steps`` midpoints ``α_k = (k + ½) / steps``, summed over the embedding
dimension (Sundararajan et al., 2017). Completeness says the attributions
add up to ``F(x) - F(b)``; how far they miss is reported per example, and
more steps bring it down.

Example:

>>> explained = integrated_gradients(model, backbone.token_embedding, inputs, scores, steps=50,
...                                  baseline_id=0, keep_ids={101, 102, 0})
>>> explained.attributions.sum(), explained.score - explained.baseline_score
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from tfft.explain.embedding_injection import injected_embeddings

COMPLETENESS_TOLERANCE = 0.05  # attributions within 5% of F(x) - F(b): the check reported per example
STEP_BATCH = 16  # path points run through the model at once (bounds memory on long texts)


@dataclass
class Explanation:
    """One example's attributions to one label's score."""

    token_ids: np.ndarray  # [length] the model's input ids, special tokens included, no padding
    attributions: np.ndarray  # [length]
    target: int  # the label index explained
    score: float  # F(x)
    baseline_score: float  # F(b)

    @property
    def completeness_error(self) -> float:
        """|Σ attributions − (F(x) − F(b))| relative to |F(x) − F(b)| (absolute when that is ~0)."""
        difference = self.score - self.baseline_score
        missing = abs(float(self.attributions.sum()) - difference)
        return missing / abs(difference) if abs(difference) > 1e-6 else missing


def baseline_ids(token_ids: tf.Tensor, baseline_id: int, keep_ids: set[int]) -> tf.Tensor:
    """``token_ids`` with every id not in ``keep_ids`` replaced by ``baseline_id``."""
    keep = tf.reduce_any(token_ids[..., None] == tf.constant(sorted(keep_ids), token_ids.dtype), axis=-1)
    return tf.where(keep, token_ids, tf.cast(baseline_id, token_ids.dtype))


def integrated_gradients(model: keras.Model, embedding: keras.layers.Layer, inputs: dict[str, tf.Tensor],
                         scores: Callable[[tf.Tensor], tf.Tensor], steps: int, baseline_id: int,
                         keep_ids: set[int], target: int | None = None) -> Explanation:
    """Attributions of one example (``inputs`` of batch 1, no padding) to ``scores(model(...))[:, target]``.

    Args:
        model: the model, taking ``inputs``.
        embedding: its backbone's token-embedding layer (`token_embedding_layer`).
        inputs: model inputs of one example: ``token_ids`` and the rest, shape ``[1, length]``.
        scores: model outputs → per-label scores ``[batch, labels]`` (probabilities).
        steps: path points of the integral.
        baseline_id: the id every text token takes in the baseline ([PAD] or [MASK]).
        keep_ids: ids the baseline keeps ([CLS], [SEP], padding).
        target: the label to explain; the top-scoring label of the input when None.
    """
    if steps < 1:
        raise ValueError(f"integrated gradients needs steps >= 1, got {steps}")
    token_ids = inputs["token_ids"]
    actual = embedding(token_ids)
    start = embedding(baseline_ids(token_ids, baseline_id, keep_ids))

    def score_of(vectors: tf.Tensor) -> tf.Tensor:
        batch = tf.shape(vectors)[0]
        tiled = {name: tf.repeat(value, batch, axis=0) for name, value in inputs.items()}
        with injected_embeddings(embedding, vectors):
            return scores(model(tiled, training=False))

    end_scores = score_of(actual)[0]
    target = int(tf.argmax(end_scores)) if target is None else int(target)
    alphas = (tf.range(steps, dtype=actual.dtype) + 0.5) / steps
    gradient_sum = tf.zeros_like(actual[0])
    for first in range(0, steps, STEP_BATCH):
        alpha = alphas[first:first + STEP_BATCH][:, None, None]
        path = start + alpha * (actual - start)
        with tf.GradientTape() as tape:
            tape.watch(path)
            chosen = score_of(path)[:, target]
        gradient_sum += tf.reduce_sum(tape.gradient(chosen, path), axis=0)
    attributions = tf.reduce_sum((actual - start)[0] * gradient_sum / steps, axis=-1)
    return Explanation(token_ids[0].numpy(), attributions.numpy(), target, float(end_scores[target]),
                       float(score_of(start)[0, target]))
