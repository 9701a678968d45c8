"""Masked-LM pre-training for BERT-style backbones (dynamic masking, 80/10/10).

Each batch is masked afresh, so every epoch sees new masks; blocks are
``[CLS] text... [SEP]``. Tokens are chosen one by one by keras-hub's
`MaskedLMMaskGenerator`, or with ``task_options.whole_word_masking: true`` whole
words at a time (`WholeWordMasker`; words from jieba, as Chinese-BERT-wwm).

Example:

>>> objective = MaskedLM({"mask_rate": 0.15, "whole_word_masking": True})
>>> inputs, targets, weights = objective.batch(blocks)
"""

from __future__ import annotations

import math
from typing import ClassVar

import keras
import keras_hub
import tensorflow as tf

from tfft.backbones import freeze_unused_pooler
from tfft.pretraining.base import COMMON_OPTIONS, BlockLayout, Objective
from tfft.pretraining.vocabulary import train_wordpiece
from tfft.pretraining.whole_word_masking import WholeWordMasker
from tfft.pretraining.word_starts import word_start_flags


class MaskedLM(Objective):
    name = "masked_lm"
    option_names: ClassVar[frozenset[str]] = COMMON_OPTIONS | {"mask_rate", "whole_word_masking"}
    model_suffix = "MaskedLM"

    def __init__(self, options=None):
        super().__init__(options)
        self.mask_rate = float(self.options.get("mask_rate", 0.15))
        if not 0.0 < self.mask_rate < 1.0:
            raise ValueError(f"task_options.mask_rate must be in (0, 1), got {self.mask_rate}")
        self.whole_word_masking = self.options.get("whole_word_masking", False)
        if not isinstance(self.whole_word_masking, bool):
            raise ValueError(f"task_options.whole_word_masking must be true or false, got {self.whole_word_masking!r}")
        self.generator = None

    def build_model(self, backbone: keras.Model) -> keras.Model:
        freeze_unused_pooler(backbone)  # the masked-LM head reads token vectors only
        return super().build_model(backbone)

    def train_tokenizer(self, documents, vocabulary_size):
        return train_wordpiece(documents, vocabulary_size)

    def layout(self, tokenizer, max_length: int) -> BlockLayout:
        cls_id, sep_id, pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
        if self.whole_word_masking:
            self.generator = WholeWordMasker(
                tokenizer.vocabulary_size(), self.mask_rate, tokenizer.mask_token_id,
                # whole words make the count per row vary more than single tokens do
                selection_length=_selection_length(max_length, self.mask_rate, spread=1.6),
                unselectable_token_ids=[cls_id, sep_id, pad_id])
            return BlockLayout(separator_id=sep_id, prefix=[cls_id], suffix=[sep_id])
        self.generator = keras_hub.layers.MaskedLMMaskGenerator(
            vocabulary_size=tokenizer.vocabulary_size(),
            mask_selection_rate=self.mask_rate,
            mask_token_id=tokenizer.mask_token_id,
            mask_selection_length=_selection_length(max_length, self.mask_rate),
            unselectable_token_ids=[cls_id, sep_id, pad_id],
        )
        return BlockLayout(separator_id=sep_id, prefix=[cls_id], suffix=[sep_id])

    def word_starts(self, tokenizer, documents, source: str = ""):
        return word_start_flags(tokenizer, documents, source) if self.whole_word_masking else None

    def batch(self, blocks: tf.Tensor) -> tuple:
        if self.generator is None:
            raise RuntimeError("call layout(tokenizer, max_length) before batch()")
        if self.whole_word_masking:  # blocks are [batch, block, 2]: ids and word-start flags
            masked = self.generator(blocks[..., 0], blocks[..., 1])
            blocks = blocks[..., 0]
        else:
            masked = self.generator(blocks)
        inputs = {
            "token_ids": masked["token_ids"],
            "segment_ids": tf.zeros_like(blocks),
            "padding_mask": tf.ones_like(blocks),
            "mask_positions": masked["mask_positions"],
        }
        return inputs, masked["mask_ids"], masked["mask_weights"]


def _selection_length(block_length: int, rate: float, spread: float = 1.25) -> int:
    # Room for the random draw to select a little more than the mean rate.
    return max(1, math.ceil(block_length * rate * spread))
