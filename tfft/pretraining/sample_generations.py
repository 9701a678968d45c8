"""Write sample generations to TensorBoard's text dashboard after every epoch.

A keras-hub causal LM that shares the trained backbone (and so its weights)
generates from a few fixed prompts; its generate function is compiled on the
first epoch and reused afterwards.

Example:

>>> callback = SampleGenerations(backbone, tokenizer, ["ROMEO:"], "runs/x/logs", max_new_tokens=48)
>>> model.fit(blocks, callbacks=[callback])
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import keras
import keras_hub
import tensorflow as tf


class SampleGenerations(keras.callbacks.Callback):
    """Greedy continuations of ``prompts`` under ``<log_dir>/samples`` (tag ``generations``)."""

    def __init__(self, backbone: keras.Model, tokenizer, prompts: Sequence[str], log_dir: str | Path,
                 max_new_tokens: int = 48):
        super().__init__()
        self.prompts = list(prompts)
        self.max_new_tokens = int(max_new_tokens)
        family = type(backbone).__name__.removesuffix("Backbone")
        preprocessor = getattr(keras_hub.models, f"{family}CausalLMPreprocessor")(
            tokenizer=tokenizer, sequence_length=backbone.max_sequence_length, add_end_token=False)
        self.generator = getattr(keras_hub.models, f"{family}CausalLM")(backbone, preprocessor)
        self.generator.compile(sampler="greedy")
        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "samples"))
        self.last: list[str] = []

    def on_epoch_end(self, epoch: int, logs=None):
        self.last = self.generate()
        table = "\n\n".join(f"**{_markdown(prompt)}** → {_markdown(text[len(prompt):])}"
                            for prompt, text in zip(self.prompts, self.last))
        with self.writer.as_default(), tf.summary.record_if(True):
            tf.summary.text("generations", table, step=epoch + 1)
        self.writer.flush()

    def generate(self) -> list[str]:
        prompt_tokens = max(len(ids) for ids in self.generator.preprocessor.tokenizer(self.prompts))
        # +1: the preprocessor starts every prompt with the start token.
        length = min(self.generator.backbone.max_sequence_length, prompt_tokens + 1 + self.max_new_tokens)
        outputs = self.generator.generate(self.prompts, max_length=length)
        return [str(text) for text in outputs]


def _markdown(text: str) -> str:
    return text.replace("\n", "  \n")
