"""Pick a tf.distribute strategy by name (``training.distribute``); the rest of tfft runs unchanged under it.

``auto``: MultiWorkerMirrored when ``TF_CONFIG`` describes a cluster (what
`tfft launch` and a TFJob set), TPUStrategy when a TPU is found, MirroredStrategy
over all local GPUs when there are several, else the default strategy.
``none``: the default strategy. ``mirrored``: every local GPU, or every logical
CPU when there is no GPU (how the tests run it). ``multi_worker``:
MultiWorkerMirrored, configured by ``TF_CONFIG``. ``tpu``: TPUStrategy on the
resolved TPU (``TPU_NAME`` or the local TPU VM).

Create the strategy before any other TensorFlow work: collective ops are
configured at start-up.

Example:

>>> strategy = make_strategy("mirrored")
>>> with strategy.scope():
...     model = task.build_model(backbone, config.model, encoder)
>>> is_chief(strategy)
True
"""

from __future__ import annotations

import logging
import json
import os
from pathlib import Path

import tensorflow as tf

from tfft.training.keras_fixes import patch_multi_worker_reduce

logger = logging.getLogger(__name__)

def make_strategy(name: str) -> tf.distribute.Strategy:
    """The strategy ``name`` (one of ``CHOICES["training.distribute"]``) asks for; logs which and how many replicas."""
    strategy = _auto_strategy() if name == "auto" else _BUILDERS[name]()
    logger.info(f"distribute={name}: {type(strategy).__name__} with {strategy.num_replicas_in_sync} "
                f"replica(s){_role_suffix(strategy)}")
    return strategy


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True where run folders, TensorBoard logs and exports are written.

    Under MultiWorkerMirrored that is the ``chief`` task, or worker 0 in a
    cluster without one; every other strategy runs in one process.
    """
    task_type, task_id = worker_role(strategy)
    return task_type in (None, "chief") or (task_type == "worker" and task_id == 0
                                            and "chief" not in _cluster(strategy))


def worker_role(strategy: tf.distribute.Strategy) -> tuple[str | None, int]:
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return None, 0
    return resolver.task_type, int(resolver.task_id or 0)


def _cluster(strategy: tf.distribute.Strategy) -> dict:
    return strategy.cluster_resolver.cluster_spec().as_dict()


def _auto_strategy() -> tf.distribute.Strategy:
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    if sum(len(tasks) for tasks in cluster.values()) > 1:
        return _multi_worker()
    # /dev/vfio also exists on hosts without a TPU: a hint, confirmed by reaching one.
    if os.environ.get("TPU_NAME") or any(Path("/dev").glob("accel*")) or Path("/dev/vfio").is_dir():
        try:
            return _tpu()
        except RuntimeError as error:
            logger.info(f"distribute=auto: not using a TPU ({error})")
    return _mirrored() if len(tf.config.list_logical_devices("GPU")) > 1 else tf.distribute.get_strategy()


def _mirrored() -> tf.distribute.Strategy:
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])


def _multi_worker() -> tf.distribute.Strategy:
    if not os.environ.get("TF_CONFIG"):
        raise ValueError("training.distribute=multi_worker needs TF_CONFIG (cluster and task); "
                         "`tfft launch --workers N` sets it for a local run")
    patch_multi_worker_reduce()
    return tf.distribute.MultiWorkerMirroredStrategy()


def _tpu() -> tf.distribute.Strategy:
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=os.environ.get("TPU_NAME", ""))
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, OSError, tf.errors.OpError) as error:  # OSError: unreachable name
        raise RuntimeError(
            f"training.distribute=tpu: no TPU could be reached ({type(error).__name__}: {error}). "
            f"Run on a TPU VM or set TPU_NAME to the TPU's name or grpc:// address; "
            f"training.distribute=auto uses the CPU or GPUs when there is no TPU") from None
    return tf.distribute.TPUStrategy(resolver)


def _role_suffix(strategy: tf.distribute.Strategy) -> str:
    task_type, task_id = worker_role(strategy)
    if task_type is None:
        return ""
    return f", this process is {task_type} {task_id}{' (chief)' if is_chief(strategy) else ''}"


_BUILDERS = {"none": tf.distribute.get_strategy, "mirrored": _mirrored,
             "multi_worker": _multi_worker, "tpu": _tpu}
