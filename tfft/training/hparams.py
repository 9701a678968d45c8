"""Record a run's hyper-parameters and final metrics for TensorBoard's HParams tab.

Example:

>>> log_hparams("runs/x/logs", config, {"val_accuracy": 0.91})
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf
from tensorboard.plugins.hparams import api as hp

from tfft.config import RunConfig
from tfft.summaries import recording


def run_hparams(config: RunConfig) -> dict:
    t, m = config.training, config.model
    return {
        "backbone": m.backbone, "freeze": m.freeze, "max_length": m.max_length,
        "dropout": m.dropout, "learning_rate": t.learning_rate, "batch_size": t.batch_size,
        "epochs": t.epochs, "weight_decay": t.weight_decay, "warmup_ratio": t.warmup_ratio,
        "decay": t.decay, "label_smoothing": t.label_smoothing, "seed": t.seed,
        "peft": config.peft.method, "peft_rank": config.peft.rank,
        "adversarial": t.adversarial.method, "num_layers": m.num_layers or 0,
        "distillation": bool(t.distillation.teacher),
    }


def log_hparams(log_dir: str | Path, config: RunConfig, final_metrics: dict[str, float]) -> None:
    """Writes the hparams and ``hparams/<metric>`` scalars into ``log_dir/hparams``."""
    writer = tf.summary.create_file_writer(str(Path(log_dir) / "hparams"))
    with recording(writer):  # after fit, Keras' every-N-steps condition may still be set
        hp.hparams(run_hparams(config), trial_id=config.name)
        for name, value in final_metrics.items():
            if isinstance(value, (int, float)):
                tf.summary.scalar(f"hparams/{name}", float(value), step=1)
    writer.flush()
