"""Knowledge distillation: a finished run's model (the teacher) supplies soft targets.

`DistillationLoss` is the batch loss the train step differentiates when
``training.distillation.teacher`` is set: ``alpha`` × the task's soft-target
loss against the teacher's outputs at the temperature (× temperature²) plus
(1 − ``alpha``) × the task's usual loss on the labels. The teacher runs frozen,
in inference mode, inside the step on the same token ids, so it must share the
student's tokenizer (a student cut from the teacher's backbone with
``model.num_layers`` does).

Example:

>>> teacher = load_teacher(check_teacher(config))
>>> loss_function = DistillationLoss(teacher, task.soft_target_loss, temperature=2.0, alpha=0.5)
>>> configure_train_step(model, 1, loss_function=loss_function)
"""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

from tfft.config import RunConfig, load_config
from tfft.run_folder import RunFolder
from tfft.training.trained_model import load_trained_model

SoftTargetLoss = Callable[[tf.Tensor, tf.Tensor, float], tf.Tensor]


class DistillationLoss:
    """Mixes the task's loss on the labels with a soft-target loss against a frozen teacher."""

    def __init__(self, teacher: keras.Model, soft_target_loss: SoftTargetLoss, temperature: float,
                 alpha: float):
        self.teacher = teacher
        self.soft_target_loss = soft_target_loss
        self.temperature, self.alpha = float(temperature), float(alpha)

    def __call__(self, model: keras.Model, x, y, sample_weight, predictions) -> tf.Tensor:
        hard = model._compute_loss(x=x, y=y, y_pred=predictions, sample_weight=sample_weight, training=True)
        teacher_outputs = tf.stop_gradient(self.teacher(x, training=False))
        soft = self.soft_target_loss(teacher_outputs, predictions, self.temperature)
        soft = tf.cast(soft, hard.dtype) * (self.temperature ** 2)
        return self.alpha * soft + (1.0 - self.alpha) * hard


def check_teacher(config: RunConfig) -> RunFolder:
    """The teacher's run folder, after checking it can teach this run (task and labels)."""
    path = config.training.distillation.teacher
    folder = RunFolder.finished(path, "training.distillation.teacher")
    teacher_config = load_config(folder.config)
    if teacher_config.task != config.task:
        raise ValueError(f"training.distillation.teacher: {path} is a '{teacher_config.task}' run; "
                         f"this run's task is '{config.task}'")
    return folder


def load_teacher(teacher: RunFolder) -> keras.Model:
    """The teacher run's model, frozen (LoRA-style adapters folded in)."""
    trained = load_trained_model(teacher.path, for_export=True)
    trained.model.trainable = False
    return trained.model
