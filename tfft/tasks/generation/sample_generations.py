"""Write sample generations to TensorBoard's text dashboard after every epoch.

Used by causal-LM pre-training and by generation fine-tuning: a fixed handful
of prompts, continued by a `Generator` (compiled on the first epoch, reused
afterwards) that shares the trained model's backbone and so its weights.

Example:

>>> callback = SampleGenerations(lambda model: Generator(model.backbone, encoder, sampler), ["ROMEO:"], "runs/x")
>>> model.fit(batches, callbacks=[callback])
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import keras
import tensorflow as tf

from tfft.text.strings import as_text
from tfft.summaries import recording


class SampleGenerations(keras.callbacks.Callback):
    """Generations for ``prompts`` under ``<log_dir>/samples`` (tag ``generations``).

    ``make_generator(model)`` builds the `Generator` for the model being trained
    on the first epoch end, when its weights exist.
    """

    def __init__(self, make_generator: Callable, prompts: Sequence[str], log_dir: str | Path):
        super().__init__()
        self.make_generator = make_generator
        self.generator = None
        self.prompts = list(prompts)
        self.writer = tf.summary.create_file_writer(str(Path(log_dir) / "samples"))
        self.last: list[str] = []

    def on_epoch_end(self, epoch: int, logs=None):
        self.generator = self.generator or self.make_generator(self.model)
        outputs = self.generator(tf.constant(self.prompts))
        self.last = [as_text(text) for text in outputs["generated_text"].numpy()]
        table = "\n\n".join(f"**{_markdown(prompt)}** → {_markdown(text)}"
                            for prompt, text in zip(self.prompts, self.last))
        with recording(self.writer):
            tf.summary.text("generations", table, step=epoch + 1)
        self.writer.flush()


def _markdown(text: str) -> str:
    return text.replace("\n", "  \n")
