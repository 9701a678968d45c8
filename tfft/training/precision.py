"""Mixed precision for training (``training.mixed_precision``).

``mixed_bfloat16`` computes in bfloat16 with float32 weights: about 18% faster
per step on CPUs with AVX512_BF16, and the usual choice on TPUs and recent GPUs.
On a CPU without AVX512_BF16 or AMX bfloat16 is emulated and several times
slower than float32, so forcing it there logs a warning. ``mixed_float16`` is
for older GPUs (Keras adds dynamic loss scaling). ``auto`` picks
``mixed_bfloat16`` on a TPU, on a GPU of compute capability 8.0 or more (no loss
scaling needed) and on a CPU with AVX512_BF16/AMX; ``mixed_float16`` on older
GPUs; float32 elsewhere. Task heads keep their logits and the loss in float32.

Example:

>>> set_precision("mixed_bfloat16")
>>> with float32_policy():
...     model = build_for_export()
"""

from __future__ import annotations

import contextlib
import logging

import keras
import tensorflow as tf

from tfft.hardware import cpu_runs_bfloat16

logger = logging.getLogger(__name__)

# SST-2 at batch 32 on an AMD EPYC with AVX2 and FMA only: 3.2 s a step in mixed_bfloat16, 0.58 s in float32.
EMULATED_BFLOAT16_COST = "about 5x slower than float32"
NATIVE_BFLOAT16_GPU = (8, 0)  # compute capability from which GPUs do bfloat16 in hardware (Ampere)


def set_precision(policy: str | None, strategy: tf.distribute.Strategy | None = None) -> str:
    """Sets Keras's global dtype policy (``training.mixed_precision``); returns the policy chosen."""
    chosen = auto_precision(strategy) if policy == "auto" else (policy or "float32")
    if chosen == "mixed_bfloat16" and policy != "auto" and _bfloat16_is_emulated(strategy):
        logger.warning("training.mixed_precision=mixed_bfloat16 on a CPU without AVX512_BF16 or AMX: bfloat16 "
                       "is emulated here, %s. Set training.mixed_precision=auto (float32 on this CPU)",
                       EMULATED_BFLOAT16_COST)
    keras.mixed_precision.set_global_policy(chosen)
    return chosen


def auto_precision(strategy: tf.distribute.Strategy | None = None) -> str:
    """The policy ``auto`` stands for on this machine."""
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16"
    capabilities = gpu_compute_capabilities()
    if capabilities:
        return "mixed_bfloat16" if min(capabilities) >= NATIVE_BFLOAT16_GPU else "mixed_float16"
    return "mixed_bfloat16" if cpu_runs_bfloat16() else "float32"


def gpu_compute_capabilities() -> list[tuple[int, int]]:
    """The compute capability of each visible GPU ((0, 0) where TensorFlow does not say)."""
    return [tuple(tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0)))
            for gpu in tf.config.list_physical_devices("GPU")]


def _bfloat16_is_emulated(strategy: tf.distribute.Strategy | None) -> bool:
    on_accelerator = isinstance(strategy, tf.distribute.TPUStrategy) or tf.config.list_physical_devices("GPU")
    return not on_accelerator and cpu_runs_bfloat16() is False


@contextlib.contextmanager
def float32_policy():
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
