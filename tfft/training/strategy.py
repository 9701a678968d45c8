"""Pick a tf.distribute strategy by name; the rest of tfft runs unchanged under it.

``auto``: all local GPUs with MirroredStrategy when there are several, else the
default strategy. ``mirrored``: every local GPU, or every logical CPU when
there is no GPU (how the tests run it). ``multi_worker``: MultiWorkerMirrored,
configured by ``TF_CONFIG``. ``tpu``: TPUStrategy on the resolved TPU.

Example:

>>> strategy = make_strategy("mirrored")
>>> with strategy.scope():
...     model = task.build_model(backbone, config.model)
"""

from __future__ import annotations

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")


def make_strategy(name: str) -> tf.distribute.Strategy:
    if name not in STRATEGIES:
        raise ValueError(f"training.strategy must be one of {STRATEGIES}, got '{name}'")
    gpus = tf.config.list_logical_devices("GPU")
    if name == "default" or (name == "auto" and len(gpus) < 2):
        return tf.distribute.get_strategy()
    if name in ("auto", "mirrored"):
        devices = gpus or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
