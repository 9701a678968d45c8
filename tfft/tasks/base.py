"""What a task module must provide; everything else in tfft is shared.

A task knows four things: how to turn examples into targets, how to attach its
head to a backbone, its loss and metrics, and what its serving function
returns. The trainer, data pipeline, exporter and CLI only talk to this
interface, so they never branch on the task.

Example (a new task):

>>> class MyTask(Task):
...     name = "my_task"
...     def fit(self, train): ...
...     def targets(self, examples): ...
...     def build_model(self, backbone, model_config): ...
...     def loss(self, training): ...
...     def metrics(self): ...
...     def report(self, targets, outputs): ...
...     def serving_outputs(self, model_outputs): ...
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from tfft.config import DataConfig, ModelConfig, TrainingConfig
from tfft.data.readers import TextExamples


@dataclass
class Report:
    """Evaluation results: JSON-able ``metrics``, a readable ``text`` and figures.

    ``figures`` maps a file name (``confusion_matrix.png``) to a function that
    writes the figure to a path.
    """

    metrics: dict[str, Any]
    text: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def write(self, directory: Path, prefix: str = "") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self.text:
            (directory / f"{prefix}report.txt").write_text(self.text, encoding="utf-8")
        for name, draw in self.figures.items():
            draw(directory / f"{prefix}{name}")


class Task(abc.ABC):
    """Base class of task modules. Subclasses set ``name`` and implement the hooks."""

    name: ClassVar[str]

    def __init__(self, options: dict[str, Any] | None, data: DataConfig):
        self.options = dict(options or {})
        self.data = data

    # --- inputs -----------------------------------------------------------
    @property
    def serving_inputs(self) -> list[str]:
        """Names of the string inputs of ``serving_default``."""
        return ["text", "text_pair"] if self.data.text_pair_column else ["text"]

    # --- targets ----------------------------------------------------------
    @abc.abstractmethod
    def fit(self, train: TextExamples) -> None:
        """Learns what the task needs from training data (a label vocabulary, say)."""

    @abc.abstractmethod
    def targets(self, examples: TextExamples) -> np.ndarray:
        """Model targets for ``examples``; bad labels raise a `DataError` with the line."""

    def stratify_key(self, examples: TextExamples) -> list | None:
        """Values to stratify the validation split on (None: plain split)."""
        return None

    def sample_weights(self, targets: np.ndarray, training: TrainingConfig) -> np.ndarray | None:
        return None

    # --- model ------------------------------------------------------------
    @abc.abstractmethod
    def build_model(self, backbone: keras.Model, model_config: ModelConfig) -> keras.Model:
        """A functional model from the backbone's inputs to the task's outputs."""

    @abc.abstractmethod
    def loss(self, training: TrainingConfig) -> keras.losses.Loss: ...

    @abc.abstractmethod
    def metrics(self) -> list[keras.metrics.Metric]: ...

    def callbacks(self, validation_dataset, validation_targets, log_dir: Path) -> list:
        """Extra task-specific callbacks (TensorBoard images, say)."""
        return []

    # --- evaluation and serving -------------------------------------------
    @abc.abstractmethod
    def report(self, targets: np.ndarray, outputs: np.ndarray) -> Report:
        """Metrics from targets and model outputs (as `serving_outputs` sees them)."""

    @abc.abstractmethod
    def serving_outputs(self, model_outputs: tf.Tensor) -> dict[str, tf.Tensor]:
        """Named output tensors of ``serving_default``; ``scores_key`` among them."""

    scores_key: ClassVar[str] = "probabilities"

    # --- state saved with a run -------------------------------------------
    def save(self, run_dir: Path) -> None:
        """Writes what `fit` learned into the run folder."""

    def load(self, run_dir: Path) -> None:
        """Reads what `save` wrote."""
