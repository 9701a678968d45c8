"""What `tfft explain` attributes for a classifier: the probability of the predicted (or a requested) label.

Shared by classification and relation extraction, which differ only in how
a text's pieces map back to it (entity markers are pieces of their own).

Example:

>>> setup = label_explanation_setup(task, model, encoder, "the hotel was awful", None, plain_text_parts)
>>> setup.summary, setup.targets[0].info
({'label': 'negative', 'probability': 0.97}, {'explained_label': 'negative', 'explained_label_id': 0})
"""

from __future__ import annotations

import weakref
from typing import Callable

import keras
import tensorflow as tf

from tfft.tasks.explanation import ExplainedPart, ExplanationSetup, ExplanationTarget, wordpiece_part
from tfft.text.offset_tokenizer import OffsetTokenizer

PartsOf = Callable[[object, str, int], tuple[list[ExplainedPart], set[int]]]  # (encoder, text, room) → parts, kept ids


_OFFSETS: "weakref.WeakKeyDictionary[object, OffsetTokenizer]" = weakref.WeakKeyDictionary()


def offset_tokenizer(encoder) -> OffsetTokenizer:
    """The encoder's WordPiece tokenizer with offsets, built once per encoder."""
    if encoder not in _OFFSETS:
        _OFFSETS[encoder] = OffsetTokenizer.from_keras_hub(encoder.tokenizer)
    return _OFFSETS[encoder]


def plain_text_parts(encoder, text: str, room: int) -> tuple[list[ExplainedPart], set[int]]:
    return [wordpiece_part(offset_tokenizer(encoder), "text", text, 1, room)], set()


def label_explanation_setup(task, model: keras.Model, encoder, inputs: dict[str, str], label: str | None,
                            parts_of: PartsOf) -> ExplanationSetup:
    if set(inputs) != {"text"}:
        raise ValueError(f"tfft explain takes single texts; this {task.name} model takes {task.serving_inputs}")
    text = inputs["text"]
    model_inputs = encoder.serving_inputs(tf.constant([text]))
    probabilities, names = task.label_scores(model(model_inputs, training=False))
    if label is not None and label not in names:
        raise ValueError(f"--label '{label}' is not a label of this model ({', '.join(names)})")
    predicted = int(tf.argmax(probabilities[0]))
    target = names.index(label) if label is not None else predicted
    parts, marker_ids = parts_of(encoder, text, int(model_inputs["token_ids"].shape[1]) - 2)
    return ExplanationSetup(
        model_inputs, parts, {encoder.start_id, encoder.end_id, encoder.pad_id, *marker_ids},
        {"label": names[predicted], "probability": float(probabilities[0, predicted])},
        [ExplanationTarget({"explained_label": names[target], "explained_label_id": target},
                           lambda outputs: task.label_scores(outputs)[0][:, target])])
