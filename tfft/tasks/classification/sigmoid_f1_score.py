"""F1 for multi-label models that output logits (Keras' F1Score wants probabilities).

Example:

>>> metric = SigmoidF1Score(average="macro", threshold=0.5, name="macro_f1")
>>> metric.update_state([[1, 0]], [[2.0, -1.0]])  # logits
"""

import keras


@keras.saving.register_keras_serializable(package="tfft")
class SigmoidF1Score(keras.metrics.F1Score):
    """`keras.metrics.F1Score` applied to ``sigmoid(logits)``."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(y_true, keras.ops.sigmoid(y_pred), sample_weight)
