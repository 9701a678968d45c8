"""TensorBoard text, every epoch: what the model leans on in a few fixed validation texts.

With ``training.explain_examples: N`` the first N validation texts are
explained at each epoch's end (integrated gradients at `DEFAULT_STEPS`) and
written as markdown under the run's ``logs/explanations``: the label and its
probability (or each entity), and every word with its attribution, the three
that support it most in bold. TensorBoard's Text tab shows one entry per epoch.

Example:

>>> result = train(config, more_callbacks=explanation_summaries(config.training))
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import keras
import tensorflow as tf

from tfft.config import TrainingConfig
from tfft.data.readers import TextExamples
from tfft.explain.explainer import DEFAULT_STEPS, TextExplainer
from tfft.explain.records import explained_items, heading, ranked_words
from tfft.summaries import recording
from tfft.training.trained_model import TrainedModel

BOLD_WORDS = 3


def explanation_markdown(record: dict) -> str:
    """One explained text as markdown: per explained score its title, then each word and attribution."""
    lines = []
    for title, item in explained_items(record):
        strong = set(ranked_words(item["words"])[:BOLD_WORDS])
        words = " ".join(f"**{w['word']}** ({w['attribution']:+.3f})" if i in strong
                         else f"{w['word']} ({w['attribution']:+.3f})" for i, w in enumerate(item["words"]))
        lines.append(f"{title}: {words}")
    return "; ".join(lines) or f"{heading(record)} (nothing to explain)"


class ExplanationSummaries(keras.callbacks.Callback):
    """Explains ``texts`` with the model as it trains and writes them to TensorBoard at each epoch's end."""

    def __init__(self, explainer: TextExplainer, texts: list[str], logdir: Path, steps: int = DEFAULT_STEPS):
        super().__init__()
        self.explainer, self.texts, self.steps = explainer, texts, steps
        self.writer = tf.summary.create_file_writer(str(logdir))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        lines = [f"{number}. {explanation_markdown(self.explainer.explain(text, self.steps))}"
                 for number, text in enumerate(self.texts, 1)]
        with recording(self.writer):
            tf.summary.text("explanations", "\n".join(lines), step=epoch + 1)
        self.writer.flush()


def explanation_summaries(training: TrainingConfig) -> Callable[[TrainedModel, TextExamples, Path], list] | None:
    """The callbacks ``training.explain_examples`` asks for (for `tfft.training.run.train`), or None."""
    if not training.explain_examples:
        return None

    def callbacks(trained: TrainedModel, validation: TextExamples, logs: Path) -> list:
        texts = list(validation.texts[:training.explain_examples])
        return [ExplanationSummaries(TextExplainer(trained), texts, Path(logs) / "explanations")]

    return callbacks
