"""AdamW as BERT fine-tuning expects it: no decay on LayerNorm or bias, clipped gradients.

Example:

>>> optimizer = build_optimizer(TrainingConfig(learning_rate=3e-5), total_steps=1000)
"""

from __future__ import annotations

import keras

from tfft.config import TrainingConfig
from tfft.training.schedules import WarmupDecay

# Keras names LayerNorm weights gamma/beta; keras-hub names its norms *layer_norm*.
NO_DECAY = ["bias", "gamma", "beta", "layer_norm", "LayerNorm"]


def build_optimizer(training: TrainingConfig, total_steps: int,
                    learning_rate: float | None = None) -> keras.optimizers.Optimizer:
    """AdamW on a warm-up/decay schedule peaking at ``learning_rate`` (default: the config's)."""
    schedule = WarmupDecay(
        training.learning_rate if learning_rate is None else learning_rate,
        warmup_steps=int(round(training.warmup_ratio * total_steps)),
        total_steps=total_steps,
        decay=training.decay,
    )
    optimizer = keras.optimizers.AdamW(
        learning_rate=schedule,
        weight_decay=training.weight_decay,
        epsilon=1e-6,
        global_clipnorm=training.clip_norm,
    )
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY)
    return optimizer
