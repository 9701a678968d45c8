"""Causal-LM pre-training for GPT-style backbones: predict every next token.

Blocks hold ``max_length + 1`` tokens; inputs are all but the last, targets
all but the first. Documents are joined with the end-of-text token.

Example:

>>> objective = CausalLM({"vocabulary_size": 4096})
>>> inputs, targets = objective.batch(blocks)
"""

from __future__ import annotations

import tensorflow as tf

from tfft.pretraining.base import BlockLayout, Objective
from tfft.tasks.generation.generator import Generator, make_sampler
from tfft.tasks.generation.prompt_encoder import PromptEncoder
from tfft.tasks.generation.sample_generations import SampleGenerations

SAMPLE_NEW_TOKENS = 48
from tfft.pretraining.vocabulary import train_byte_level_bpe


class CausalLM(Objective):
    name = "causal_lm"
    default_vocabulary_size = 4096
    model_suffix = "CausalLM"

    def train_tokenizer(self, documents, vocabulary_size):
        return train_byte_level_bpe(documents, vocabulary_size)

    def layout(self, tokenizer, max_length: int) -> BlockLayout:
        return BlockLayout(separator_id=tokenizer.end_token_id, extra_length=1)

    def batch(self, blocks: tf.Tensor) -> tuple:
        inputs = blocks[:, :-1]
        return {"token_ids": inputs, "padding_mask": tf.ones_like(inputs)}, blocks[:, 1:]

    def callbacks(self, backbone, tokenizer, prompts, log_dir) -> list:
        def greedy_generator(model) -> Generator:
            length = backbone.max_sequence_length
            encoder = PromptEncoder(tokenizer, length, max_new_tokens=min(SAMPLE_NEW_TOKENS, length // 2))
            return Generator(model.backbone, encoder, make_sampler({"sampler": "greedy"}))

        return [SampleGenerations(greedy_generator, prompts, log_dir)]
