"""Prompt-based classification (PET / LM-BFF style): a cloze template and one word per label.

Each text goes into a template such as ``"{text} It was [MASK]."`` and the
backbone's pretrained masked-LM head scores the label words at the mask; the
class logits are those scores. Nothing new is initialised at random, so the
model classifies before any fine-tuning (zero-shot: the run's "before" metrics)
and learns quickly from a few examples per class. Everything after the logits
(loss, metrics, reports, the served outputs, ensembles, distillation) is plain
single-label classification.

Options (``task_options``):

- ``template`` (default ``"{text} It was [MASK]."``): holds ``{text}`` and
  ``[MASK]`` once each, in that order.
- ``label_words`` (required): ``{label: word}`` for every label; each word
  must be one token of the backbone's vocabulary (``great``, not ``fantastic``
  if that splits into pieces).

The backbone must come with a masked-LM head: a keras-hub preset folder with
``task.weights.h5``, as ``tfft pretrain`` (``task: masked_lm``) writes.

Example:

>>> task = PromptClassificationTask(
...     {"template": "{text} It was [MASK].", "label_words": {"negative": "terrible", "positive": "great"}},
...     DataConfig())
"""

from __future__ import annotations

from typing import Any

import keras

from tfft.backbones import BackboneError, family_model_class, pretrained_head_weights
from tfft.config import ModelConfig
from tfft.data.readers import TextExamples
from tfft.tasks.prompt_classification.label_word_logits import LabelWordLogits
from tfft.layers.mask_position import MaskPosition
from tfft.tasks.base import Task
from tfft.tasks.classification.task import ClassificationTask
from tfft.text.token_ids import text_ids
from tfft.tasks.prompt_classification.template_encoder import DEFAULT_TEMPLATE, TemplateEncoder

NO_HEAD_HINT = ("Train one with `tfft pretrain` (task: masked_lm), e.g. `tfft pretrain --config "
                "configs/pretrain_sst2_mlm_head.yaml` (backbone frozen, head only), then set "
                "model.backbone=runs/sst2-mlm-head/preset")


class PromptClassificationTask(ClassificationTask):
    """Single-label classification read off the masked-LM head's scores of label words."""

    name = "prompt_classification"
    backbone_kind = "masked_lm"
    option_names = frozenset({"template", "label_words"})
    # Not explained: the template adds tokens the text's word pieces lack.
    label_scores, explanation_setup, graph_explainable = Task.label_scores, Task.explanation_setup, False

    def __init__(self, options: dict[str, Any] | None, data):
        super().__init__(options, data)
        self.template = str(self.options.get("template", DEFAULT_TEMPLATE))
        label_words = self.options.get("label_words")
        if not isinstance(label_words, dict) or not label_words:
            raise ValueError("task_options.label_words must map every label to one word, "
                             "e.g. {negative: terrible, positive: great}")
        self.label_words = {str(label): str(word) for label, word in label_words.items()}  # YAML 0: -> "0"
        if data.text_pair_column:
            raise ValueError("prompt_classification takes single texts; unset data.text_pair_column")
        self.masked_lm: keras.Model | None = None

    def fit(self, train: TextExamples) -> None:
        super().fit(train)
        missing = [name for name in self.vocabulary.names if name not in self.label_words]
        if missing:
            raise ValueError(f"{train.source}: task_options.label_words has no word for label(s) {missing}")

    def make_encoder(self, tokenizer, max_length: int) -> TemplateEncoder:
        return TemplateEncoder(tokenizer, max_length, self.template)

    def label_word_ids(self, tokenizer) -> list[int]:
        """One vocabulary id per class, in class order; a word that splits into pieces is an error."""
        ids = []
        for name in self.vocabulary.names:
            word = self.label_words[name]
            pieces = text_ids(tokenizer, word)
            if len(pieces) != 1:
                shown = [tokenizer.id_to_token(i) for i in pieces]
                raise ValueError(f"task_options.label_words: '{word}' (label {name}) is {len(pieces)} "
                                 f"tokens {shown}, not one; pick a word the vocabulary holds whole")
            ids.append(pieces[0])
        if len(set(ids)) != len(ids):
            raise ValueError(f"task_options.label_words gives two labels the same word: {self.label_words}")
        return ids

    # --- model ------------------------------------------------------------
    def build_model(self, backbone: keras.Model, model_config: ModelConfig,
                    encoder: TemplateEncoder) -> keras.Model:
        # === Layers ===
        # keras-hub's own masked-LM model for the family owns the head (tied to the token
        # embedding), so its preset's task weights load into it unchanged.
        self.masked_lm = family_model_class(backbone, "MaskedLM", "prompt_classification")(
            backbone=backbone, preprocessor=None)
        mask_position = MaskPosition(encoder.mask_id, name="mask_position")
        label_word_logits = LabelWordLogits(self.label_word_ids(encoder.tokenizer), name="label_word_logits")
        # === Functional Model ===
        inputs = backbone.input
        sequence = backbone(inputs)["sequence_output"]
        vocabulary_logits = self.masked_lm.masked_lm_head(
            sequence, mask_positions=mask_position(inputs["token_ids"]))
        return keras.Model(inputs, label_word_logits(vocabulary_logits), name="prompt_classifier")

    def load_pretrained_head(self, model_config: ModelConfig) -> None:
        weights = pretrained_head_weights(model_config.backbone)
        if weights is None:
            raise BackboneError(f"prompt_classification scores label words with the backbone's masked-LM "
                                f"head, and backbone '{model_config.backbone}' comes without one. {NO_HEAD_HINT}")
        self.masked_lm.load_task_weights(str(weights))
