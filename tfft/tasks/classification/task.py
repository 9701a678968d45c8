"""Text classification (single texts or pairs; multi-class or multi-label).

Options (``task_options`` in the run config):

- ``multi_label`` (bool, default False): sigmoid outputs, several labels per
  row, written in the label column joined by ``data.label_delimiter`` (``|``
  by default) or as a JSON list.
- ``threshold`` (float, default 0.5): probability above which a label is on
  (multi-label only).
- ``pooling`` (``cls`` or ``mean``, default ``cls``): the backbone's pooled
  [CLS] output, or the mean of the token vectors.

Example:

>>> task = ClassificationTask({"multi_label": False}, DataConfig())
>>> task.fit(train_examples)
>>> model = task.build_model(backbone, ModelConfig(), task.make_encoder(tokenizer, 128))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from tfft.config import ModelConfig, TrainingConfig
from tfft.data.labels import LABELS_FILE, LabelVocabulary
from tfft.data.pipeline import EncodedSplit, inference_dataset
from tfft.data.readers import TextExamples
from tfft.tasks.classification.mean_probability import MeanProbability
from tfft.tasks.classification.sigmoid_f1_score import SigmoidF1Score
from tfft.tasks.classification.confusion_image import ConfusionMatrixImage, plot_confusion_matrix
from tfft.tasks.base import PREDICT_BATCH_SIZE, Report, Task
from tfft.tasks.classification.label_explanation import label_explanation_setup, plain_text_parts
from tfft.tasks.explanation import ExplanationSetup
from tfft.tasks.heads import check_pooling, text_vector

DEFAULT_DELIMITER = "|"


class ClassificationTask(Task):
    """Assigns one label (or a set of labels) to each text or text pair."""

    name = "classification"
    supports_text_augmentation = True
    graph_explainable = True
    option_names = frozenset({"multi_label", "threshold", "pooling"})

    def __init__(self, options: dict[str, Any] | None, data):
        super().__init__(options, data)
        self.multi_label = bool(self.options.get("multi_label", False))
        self.threshold = float(self.options.get("threshold", 0.5))
        self.pooling = check_pooling(self.options.get("pooling", "cls"))
        self.vocabulary: LabelVocabulary | None = None

    # --- targets ----------------------------------------------------------
    def _row_labels(self, value) -> list[str]:
        if not self.multi_label:
            return [value]
        if isinstance(value, list):
            return value
        delimiter = self.data.label_delimiter or DEFAULT_DELIMITER
        return [part.strip() for part in value.split(delimiter) if part.strip()]

    def fit(self, train: TextExamples) -> None:
        names = [name for value in train.labels for name in self._row_labels(value)]
        self.vocabulary = LabelVocabulary(train.label_names) if train.label_names else (
            LabelVocabulary.from_labels(names)
        )
        if len(self.vocabulary) < 2:
            raise ValueError(f"{train.source}: classification needs at least two labels, "
                             f"found {self.vocabulary.names}")

    def targets(self, examples: TextExamples) -> np.ndarray:
        """One-hot (or multi-hot) float32 targets, shape [rows, classes]."""
        targets = np.zeros((len(examples), len(self.vocabulary)), dtype="float32")
        for row, value in enumerate(examples.labels):
            where = examples.where(row, examples.label_column)
            for name in self._row_labels(value):
                targets[row, self.vocabulary.index(name, where)] = 1.0
        return targets

    def stratify_key(self, examples: TextExamples) -> list | None:
        return None if self.multi_label else list(examples.labels)

    def sample_weights(self, targets: np.ndarray, training: TrainingConfig) -> np.ndarray | None:
        """``training.class_weights: balanced`` weights rows by inverse class frequency."""
        if not training.class_weights:
            return None
        counts = np.maximum(targets.sum(axis=0), 1.0)
        per_class = targets.shape[0] / (targets.shape[1] * counts)
        weighted = np.where(targets > 0, per_class[None, :], 0.0)
        return weighted.max(axis=1).astype("float32")

    # --- model ------------------------------------------------------------
    def build_model(self, backbone: keras.Model, model_config: ModelConfig, encoder) -> keras.Model:
        # === Layers ===
        dropout = keras.layers.Dropout(model_config.dropout, name="classifier_dropout")
        dense = keras.layers.Dense(
            len(self.vocabulary),
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype="float32",  # logits and loss stay float32 under mixed precision
            name="logits",
        )
        # === Functional Model ===
        logits = dense(dropout(text_vector(backbone, self.pooling)))
        return keras.Model(backbone.input, logits, name="text_classifier")

    def loss(self, training: TrainingConfig) -> keras.losses.Loss:
        if self.multi_label:
            return keras.losses.BinaryCrossentropy(
                from_logits=True, label_smoothing=training.label_smoothing
            )
        return keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=training.label_smoothing
        )

    def soft_target_loss(self, teacher_outputs: tf.Tensor, student_outputs: tf.Tensor,
                         temperature: float) -> tf.Tensor:
        """KL(teacher ‖ student) of the softmaxes at ``temperature``; per-label BCE if multi-label."""
        teacher = tf.cast(teacher_outputs, tf.float32) / temperature
        student = tf.cast(student_outputs, tf.float32) / temperature
        if self.multi_label:
            return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.sigmoid(teacher), student))
        teacher_probabilities = tf.nn.softmax(teacher, axis=-1)
        return tf.reduce_mean(tf.reduce_sum(
            teacher_probabilities * (tf.nn.log_softmax(teacher, axis=-1) - tf.nn.log_softmax(student, axis=-1)),
            axis=-1))

    def metrics(self) -> list[keras.metrics.Metric]:
        if self.multi_label:
            logit_threshold = float(np.log(self.threshold / (1.0 - self.threshold)))
            return [
                keras.metrics.BinaryAccuracy(name="accuracy", threshold=logit_threshold),
                SigmoidF1Score(average="macro", threshold=self.threshold, name="macro_f1"),
            ]
        return [
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.F1Score(average="macro", name="macro_f1"),
        ]

    def callbacks(self, validation: EncodedSplit, evaluate, log_dir: Path, encoder=None) -> list:
        if self.multi_label:
            return []
        dataset, order = inference_dataset(validation, PREDICT_BATCH_SIZE)
        return [ConfusionMatrixImage(dataset.map(lambda x, *_: x), validation.targets[order].argmax(-1),
                                     self.vocabulary.names, log_dir)]

    # --- evaluation and serving -------------------------------------------
    def report(self, examples: TextExamples, predictions: np.ndarray) -> Report:
        """``predictions`` are class probabilities, one row per example."""
        names = self.vocabulary.names
        targets, outputs = self.targets(examples), predictions
        if self.multi_label:
            return self._multi_label_report(targets, outputs >= self.threshold)
        y_true, y_pred = targets.argmax(-1), outputs.argmax(-1)
        label_ids = list(range(len(names)))
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, y_pred, labels=label_ids, zero_division=0
        )
        matrix = confusion_matrix(y_true, y_pred, labels=label_ids)
        metrics = {
            "examples": int(len(y_true)),
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, labels=label_ids, average="macro", zero_division=0)),
            "per_class": {
                name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                for name, p, r, f, s in zip(names, precision, recall, f1, support)
            },
            "confusion_matrix": {"labels": names, "matrix": matrix.tolist()},
        }
        text = classification_report(y_true, y_pred, labels=label_ids, target_names=names,
                                      zero_division=0, digits=4)
        draw = lambda path: plot_confusion_matrix(matrix, names).savefig(path, dpi=110)  # noqa: E731
        return Report(metrics, text, {"confusion_matrix.png": draw})

    def _multi_label_report(self, targets: np.ndarray, predicted: np.ndarray) -> Report:
        names = self.vocabulary.names
        y_true = targets.astype(bool)
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, predicted, zero_division=0
        )
        metrics = {
            "examples": int(len(y_true)),
            "accuracy": float(accuracy_score(y_true, predicted)),  # exact set match
            "macro_f1": float(f1_score(y_true, predicted, average="macro", zero_division=0)),
            "micro_f1": float(f1_score(y_true, predicted, average="micro", zero_division=0)),
            "per_class": {
                name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                for name, p, r, f, s in zip(names, precision, recall, f1, support)
            },
        }
        text = classification_report(y_true, predicted, target_names=names, zero_division=0, digits=4)
        return Report(metrics, text)

    def member_combiner(self) -> MeanProbability:
        return MeanProbability(self.multi_label)

    def serving_outputs(self, model_outputs: tf.Tensor) -> dict[str, tf.Tensor]:
        names = tf.constant(self.vocabulary.names)
        logits = tf.cast(model_outputs, tf.float32)
        label_id = tf.argmax(logits, axis=-1, output_type=tf.int32)
        if not self.multi_label:
            probabilities = tf.nn.softmax(logits, axis=-1)
            return {"label": tf.gather(names, label_id), "label_id": label_id,
                    "probabilities": probabilities}
        probabilities = tf.sigmoid(logits)
        chosen = tf.ragged.boolean_mask(
            tf.broadcast_to(names, tf.shape(probabilities)), probabilities >= self.threshold
        )
        delimiter = self.data.label_delimiter or DEFAULT_DELIMITER
        return {"label": tf.strings.reduce_join(chosen, axis=-1, separator=delimiter),
                "label_id": label_id, "probabilities": probabilities}

    def label_scores(self, model_outputs: tf.Tensor) -> tuple[tf.Tensor, list[str]]:
        return self.serving_outputs(model_outputs)["probabilities"], self.vocabulary.names

    def explanation_setup(self, model: keras.Model, encoder, inputs: dict[str, str],
                          label: str | None = None) -> ExplanationSetup:
        return label_explanation_setup(self, model, encoder, inputs, label, plain_text_parts)

    # --- state ------------------------------------------------------------
    def save(self, run_dir: Path) -> None:
        self.vocabulary.save(Path(run_dir) / LABELS_FILE)

    def load(self, run_dir: Path) -> None:
        self.vocabulary = LabelVocabulary.load(Path(run_dir) / LABELS_FILE)

