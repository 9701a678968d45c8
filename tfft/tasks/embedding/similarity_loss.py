"""Losses for (text, text, score) rows: CoSENT over the batch's pairs, or cosine regression.

CoSENT (Su, 2022; the default of sentence-transformers for scored pairs) asks
only that pairs be *ordered* by cosine as by score:
``log(1 + Σ exp(scale × (cos_j − cos_i)))`` over pairs ``i, j`` with
``score_i > score_j``, on the global batch (every replica's pairs gathered).
The cosine loss regresses each pair's cosine on its score (scores in [-1, 1]).

Example:

>>> CoSENTLoss()(tf.constant([1.0, 0.0]), vectors)  # vectors [2, 2, dim], unit length
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfft.tasks.embedding.ranking_loss import gather_rows


def pair_cosines(y_pred) -> tf.Tensor:
    vectors = tf.cast(y_pred, tf.float32)
    return tf.reduce_sum(vectors[:, 0] * vectors[:, 1], axis=-1)


@keras.saving.register_keras_serializable(package="tfft")
class CoSENTLoss(keras.losses.Loss):
    """Args:
        scale: how sharply a mis-ordered pair is penalised (20 in the paper).
    """

    spans_batch = True

    def __init__(self, scale: float = 20.0, name: str = "cosent", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = float(scale)

    def call(self, y_true, y_pred):
        cosines, _ = gather_rows(pair_cosines(y_pred))
        scores, _ = gather_rows(tf.cast(tf.reshape(y_true, [-1]), tf.float32))
        differences = self.scale * (cosines[None, :] - cosines[:, None])  # [i, j] = cos_j - cos_i
        ordered = scores[:, None] > scores[None, :]
        terms = tf.where(ordered, differences, tf.fill(tf.shape(differences), -1e12))
        flat = tf.concat([tf.zeros([1]), tf.reshape(terms, [-1])], axis=0)  # the 1 in log(1 + ...)
        return tf.fill(tf.shape(y_true)[:1], tf.reduce_logsumexp(flat))

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="tfft")
class CosineLoss(keras.losses.Loss):
    """Mean squared error between each pair's cosine and its score."""

    def __init__(self, name: str = "cosine", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return tf.square(pair_cosines(y_pred) - tf.cast(tf.reshape(y_true, [-1]), tf.float32))
