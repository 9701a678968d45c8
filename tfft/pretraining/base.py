"""What a pre-training objective provides; the pre-training run is shared.

An objective knows how to train a tokenizer for a from-scratch model, how
blocks of packed token ids are laid out, the model that predicts tokens on top
of a backbone, and how a batch of blocks becomes ``(inputs, targets[, weights])``.

Example (a new objective):

>>> class MyObjective(Objective):
...     name = "my_lm"
...     def train_tokenizer(self, documents, vocabulary_size): ...
...     def layout(self, tokenizer, max_length): ...
...     def build_model(self, backbone): ...
...     def batch(self, blocks): ...
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import keras
import keras_hub
import tensorflow as tf

from tfft.backbones import family_model_class

COMMON_OPTIONS = frozenset({"vocabulary_size", "document_separator"})


@dataclass(frozen=True)
class BlockLayout:
    """How documents are joined and blocks wrapped (see `pack_blocks`)."""

    separator_id: int
    prefix: Sequence[int] = ()
    suffix: Sequence[int] = ()
    extra_length: int = 0  # tokens a block holds beyond the model's input length


class Objective(abc.ABC):
    """Base class of pre-training objectives (``masked_lm``, ``causal_lm``)."""

    name: ClassVar[str]
    option_names: ClassVar[frozenset[str]] = COMMON_OPTIONS
    default_vocabulary_size: ClassVar[int] = 8000
    model_suffix: ClassVar[str]  # keras-hub task class: <Family><suffix>, e.g. BertMaskedLM

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = dict(options or {})
        unknown = set(self.options) - self.option_names
        if unknown:
            raise ValueError(f"task_options: unknown option(s) {sorted(unknown)} for {self.name}; "
                             f"expected {sorted(self.option_names)}")
        self.vocabulary_size = int(self.options.get("vocabulary_size", self.default_vocabulary_size))
        self.document_separator = self.options.get("document_separator", "line")

    @abc.abstractmethod
    def train_tokenizer(self, documents: Sequence[str], vocabulary_size: int):
        """A keras-hub tokenizer learnt from ``documents`` (for from-scratch backbones)."""

    @abc.abstractmethod
    def layout(self, tokenizer, max_length: int) -> BlockLayout:
        """How blocks for a model input of ``max_length`` tokens are built (and set-up for `batch`)."""

    def word_starts(self, tokenizer, documents: Sequence[str], source: str = "") -> list | None:
        """Per document, a flag per token saying a word begins there, for objectives that need
        words (blocks then carry them: ``[block, 2]``); None (the default) for those that don't."""
        return None

    @abc.abstractmethod
    def batch(self, blocks: tf.Tensor) -> tuple:
        """``(inputs, targets[, sample_weights])`` of a ``[batch, block]`` int32 tensor
        (``[batch, block, 2]`` with the word-start flags where `word_starts` gives them)."""

    def build_model(self, backbone: keras.Model) -> keras.Model:
        """keras-hub's own LM model for the backbone's family (its head ties the embeddings)."""
        return family_model_class(backbone, self.model_suffix, self.name)(backbone)

    def callbacks(self, backbone: keras.Model, tokenizer, prompts: Sequence[str], log_dir) -> list:
        """Objective-specific callbacks (sample generations, say); ``prompts`` are validation text."""
        return []

    def loss(self) -> keras.losses.Loss:
        # The mean over weighted (selected) tokens, so exp(loss) is the perplexity.
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")

    def metrics(self) -> list:
        """Per-token metrics, weighted like the loss (masked-LM targets: the selected tokens only)."""
        return [keras_hub.metrics.Perplexity(from_logits=True, name="perplexity"),
                keras.metrics.SparseCategoricalAccuracy(name="sparse_categorical_accuracy")]
