"""Learning-rate schedule: linear warm-up, then linear, cosine or no decay.

Example:

>>> schedule = WarmupDecay(5e-5, warmup_steps=100, total_steps=1000, decay="cosine")
>>> float(schedule(50))   # half-way through warm-up
2.55e-05
"""

from __future__ import annotations

import math

import keras
from keras import ops

from tfft.config import CHOICES

DECAYS = CHOICES["training.decay"]


@keras.saving.register_keras_serializable(package="tfft")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Peak ``learning_rate`` reached after ``warmup_steps``, decayed to 0 at ``total_steps``."""

    def __init__(self, learning_rate: float, warmup_steps: int, total_steps: int, decay: str = "linear"):
        if decay not in DECAYS:  # also reached from a saved optimizer's config, not only from a run's
            raise ValueError(f"decay must be one of {', '.join(DECAYS)}, got '{decay}'")
        self.learning_rate = float(learning_rate)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = max(int(total_steps), 1)
        self.decay = decay

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0  # the first update already uses a non-zero rate
        peak = self.learning_rate
        warm = peak * step / max(self.warmup_steps, 1)
        progress = ops.clip(
            (step - self.warmup_steps) / max(self.total_steps - self.warmup_steps, 1), 0.0, 1.0
        )
        if self.decay == "linear":
            decayed = peak * (1.0 - progress)
        elif self.decay == "cosine":
            decayed = peak * 0.5 * (1.0 + ops.cos(math.pi * progress))
        else:
            decayed = ops.convert_to_tensor(peak, "float32")
        return ops.where(step <= self.warmup_steps, warm, decayed)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps,
                "total_steps": self.total_steps, "decay": self.decay}
