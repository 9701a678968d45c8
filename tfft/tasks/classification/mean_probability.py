"""How classification combines ensemble members: the mean of their probabilities."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfft")
class MeanProbability:
    """Logits whose softmax (sigmoid, multi-label) is the members' mean probability.

    Example:

    >>> logits = MeanProbability(multi_label=False)([member_logits_a, member_logits_b])
    """

    def __init__(self, multi_label: bool = False):
        self.multi_label = bool(multi_label)

    def __call__(self, outputs: list[tf.Tensor]) -> tf.Tensor:
        logits = [tf.cast(output, tf.float32) for output in outputs]
        if self.multi_label:
            mean = tf.reduce_mean(tf.stack([tf.sigmoid(z) for z in logits]), axis=0)
            mean = tf.clip_by_value(mean, 1e-7, 1 - 1e-7)
            return tf.math.log(mean) - tf.math.log1p(-mean)
        mean = tf.reduce_mean(tf.stack([tf.nn.softmax(z, axis=-1) for z in logits]), axis=0)
        return tf.math.log(tf.maximum(mean, 1e-30))

    def get_config(self) -> dict:
        return {"multi_label": self.multi_label}

    @classmethod
    def from_config(cls, config: dict) -> "MeanProbability":
        return cls(**config)
