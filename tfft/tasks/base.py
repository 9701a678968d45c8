"""What a task module must provide; everything else in tfft is shared.

A task knows four things: how to turn examples into targets, how to attach its
head to a backbone, its loss and metrics, and what its serving function
returns. The trainer, data pipeline, exporter and CLI only talk to this
interface, so they never branch on the task.

Predictions travel in one "served form" per task (class probabilities for
classification, entity lists for NER): `predict` computes it in process,
`predictions_from_outputs` reads it from an export's outputs, and `report`
scores it against the examples. So an export and the in-process model are
evaluated by the same code and can be compared directly.

Every task folder holds ``example/config.yaml``: a runnable recipe with a few
rows of data in the task's format (`Task.example_config`). The task contract
test trains, exports, serves and evaluates each registered task from it.

Example (a new task):

>>> class MyTask(Task):
...     name = "my_task"
...     def fit(self, train): ...
...     def targets(self, examples): ...
...     def build_model(self, backbone, model_config, encoder): ...
...     def loss(self, training): ...
...     def metrics(self): ...
...     def report(self, targets, outputs): ...
...     def serving_outputs(self, model_outputs): ...
"""

from __future__ import annotations

import abc
import sys
from pathlib import Path
from typing import Any, Callable, ClassVar

import keras
import numpy as np
import tensorflow as tf

from tfft.config import DataConfig, ModelConfig, TrainingConfig
from tfft.data.pipeline import EncodedSplit, encode_split, inference_dataset, restore_order
from tfft.data.readers import TextExamples, read_examples
from tfft.data.partition import stratified_split
from tfft.text.segment_encoder import SegmentEncoder
from tfft.evaluation.local_predict import predict_locally
from tfft.evaluation.report import Report
from tfft.tasks.explanation import ExplanationSetup

PREDICT_BATCH_SIZE = 64


class Task(abc.ABC):
    """Base class of task modules. Subclasses set ``name`` and implement the hooks."""

    name: ClassVar[str]
    option_names: ClassVar[frozenset[str]] = frozenset()  # the task_options it reads
    # The backbone the head sits on: "encoder" (BERT-like), "masked_lm" (an encoder with its
    # pretrained masked-LM head) or "causal_lm" (GPT-2-like).
    backbone_kind: ClassVar[str] = "encoder"

    @classmethod
    def example_config(cls) -> Path:
        """The task's example recipe, ``<task folder>/example/config.yaml``.

        Example:

        >>> TASKS["token_classification"].example_config().parent.name
        'example'
        """
        return Path(sys.modules[cls.__module__].__file__).parent / "example" / "config.yaml"

    def __init__(self, options: dict[str, Any] | None, data: DataConfig):
        self.options = dict(options or {})
        self.data = data
        unknown = set(self.options) - self.option_names
        if unknown:
            raise ValueError(f"task_options: unknown option(s) {sorted(unknown)} for {self.name}; "
                             f"expected {sorted(self.option_names) or 'none'}")

    # --- inputs -----------------------------------------------------------
    @property
    def serving_inputs(self) -> list[str]:
        """Names of the string inputs of ``serving_default``."""
        return ["text", "text_pair"] if self.data.text_pair_column else ["text"]

    # --- data -------------------------------------------------------------
    def read(self, path: str, with_labels: bool = True):
        """Reads one data file (or TFDS split) into this task's examples."""
        return read_examples(path, self.data, with_labels)

    def make_encoder(self, tokenizer, max_length: int):
        """The object that turns raw strings into model inputs, in training and serving."""
        return SegmentEncoder(tokenizer, max_length)

    def encode(self, encoder, examples, training: TrainingConfig | None = None,
               with_weights: bool = False) -> EncodedSplit:
        """Model features and targets for ``examples`` (tokenized once)."""
        targets = self.targets(examples)
        weights = self.sample_weights(targets, training) if with_weights and training else None
        return encode_split(encoder, examples, targets, weights, verbose=len(examples) > 4096)

    # --- targets ----------------------------------------------------------
    @abc.abstractmethod
    def fit(self, train: TextExamples) -> None:
        """Learns what the task needs from training data (a label vocabulary, say)."""

    def targets(self, examples: TextExamples) -> np.ndarray:
        """Model targets for ``examples``; bad labels raise a `DataError` with the line.

        Used by the default `encode`; tasks whose targets depend on the
        tokenization override `encode` instead.
        """
        raise NotImplementedError(f"{type(self).__name__} builds its targets in encode()")

    def stratify_key(self, examples: TextExamples) -> list | None:
        """Values to stratify the validation split on (None: plain split)."""
        return None

    def hold_out(self, train, fraction: float, seed: int):
        """(train, validation) when the config names no validation file."""
        return stratified_split(train, fraction, seed, self.stratify_key(train))

    def sample_weights(self, targets: np.ndarray, training: TrainingConfig) -> np.ndarray | None:
        return None

    # --- model ------------------------------------------------------------
    @abc.abstractmethod
    def build_model(self, backbone: keras.Model, model_config: ModelConfig, encoder) -> keras.Model:
        """A functional model from the backbone's inputs to the task's outputs.

        ``encoder`` is what `make_encoder` made for this backbone's tokenizer (heads
        that read special token positions, such as [MASK] or entity markers, take
        their ids from it).
        """

    def load_pretrained_head(self, model_config: ModelConfig) -> None:
        """Loads the backbone preset's pretrained head weights into a fresh `build_model` model.

        Called once before fine-tuning starts, never on a reloaded trained model
        (its own weights hold the head). Most heads start from random weights.
        """

    @abc.abstractmethod
    def loss(self, training: TrainingConfig) -> keras.losses.Loss: ...

    @abc.abstractmethod
    def metrics(self) -> list[keras.metrics.Metric]: ...

    def soft_target_loss(self, teacher_outputs: tf.Tensor, student_outputs: tf.Tensor,
                         temperature: float) -> tf.Tensor:
        """Mean loss of the student's outputs against the teacher's, both softened (distillation)."""
        raise ValueError(f"task '{self.name}' does not support training.distillation yet")

    def callbacks(self, validation: EncodedSplit, evaluate, log_dir: Path, encoder=None) -> list:
        """Extra task-specific callbacks (TensorBoard images, say).

        ``evaluate(model)`` returns the validation `Report` as `report` computes it;
        ``encoder`` is the one the model is trained with.
        """
        return []

    # --- evaluation and serving -------------------------------------------
    @abc.abstractmethod
    def report(self, examples, predictions) -> Report:
        """Metrics of served-form ``predictions`` against labelled ``examples``."""

    def serving_outputs(self, model_outputs: tf.Tensor) -> dict[str, tf.Tensor]:
        """Named output tensors of ``serving_default`` from the model's outputs.

        Used by the default `serving_function` and `predict`; tasks whose
        outputs need the input text override those instead.
        """
        raise NotImplementedError(f"{type(self).__name__} overrides serving_function()")

    def label_scores(self, model_outputs: tf.Tensor) -> tuple[tf.Tensor, list[str]]:
        """Per-label scores ``[batch, labels]`` (probabilities) of plain texts, and the label names: what an
        export's explain signature attributes."""
        raise ValueError(f"the explain signature covers classification of plain texts; task '{self.name}' "
                         f"has no such label scores")

    def explanation_setup(self, model: keras.Model, encoder, inputs: dict[str, str],
                          label: str | None = None) -> ExplanationSetup:
        """What `tfft explain` attributes for one example (``inputs`` by serving input name); see
        `tfft.tasks.explanation`. ``label`` asks for that label instead of the predicted one."""
        raise ValueError(f"tfft explain does not support task '{self.name}'")

    scores_key: ClassVar[str] = "probabilities"
    monitor: ClassVar[str] = "val_accuracy"  # early stopping's default metric
    quality_metric: ClassVar[str] = "accuracy"  # higher is better; what `tfft update` compares
    supports_text_augmentation: ClassVar[bool] = False  # word edits keep the labels valid
    graph_explainable: ClassVar[bool] = False  # export.explain applies: label_scores of one plain text's pieces

    def serving_examples(self, examples, count: int) -> dict[str, list[str]]:
        """The first ``count`` examples as ``serving_default`` inputs (warm-up requests)."""
        if count <= 0:
            return {}
        inputs = {"text": list(examples.texts[:count])}
        if getattr(examples, "pairs", None) is not None:
            inputs["text_pair"] = list(examples.pairs[:count])
        return inputs

    def predict(self, model: keras.Model, encoder, split: EncodedSplit):
        """Served-form predictions for every row of ``split``, in row order."""
        dataset, order = inference_dataset(split, PREDICT_BATCH_SIZE)
        outputs = predict_locally(model, dataset.map(lambda x, *_: x))
        scores = self.serving_outputs(tf.constant(outputs))[self.scores_key].numpy()
        return restore_order(scores, order)

    def member_combiner(self) -> Callable[[list[tf.Tensor]], tf.Tensor]:
        """A Keras-serializable callable: one model output from ensemble members' outputs (``tfft ensemble``)."""
        raise ValueError(f"task '{self.name}' does not support ensembles yet")

    def predictions_from_outputs(self, outputs: dict[str, np.ndarray]):
        """Served-form predictions from an export's ``serving_default`` outputs."""
        return outputs[self.scores_key]

    def serving_function(self, model: keras.Model, encoder):
        """The raw-strings-in, named-tensors-out function behind ``serving_default``."""

        def outputs(text, text_pair=None):
            model_outputs = model(encoder.serving_inputs(text, text_pair), training=False)
            return self.serving_outputs(model_outputs)

        def serve_text(text):
            return outputs(text)

        def serve_text_pair(text, text_pair):
            return outputs(text, text_pair)

        return {1: serve_text, 2: serve_text_pair}[len(self.serving_inputs)]

    # --- state saved with a run -------------------------------------------
    def save(self, run_dir: Path) -> None:
        """Writes what `fit` learned into the run folder."""

    def load(self, run_dir: Path) -> None:
        """Reads what `save` wrote."""
