"""What a task tells `tfft explain`: the model inputs of one example, its texts' word pieces, and what to attribute.

A task's `Task.explanation_setup` runs the model once on the example and
returns an `ExplanationSetup`: the inputs (batch of one), where each text's
word pieces sit in them (`ExplainedPart`, with character offsets), the ids the
attribution baseline keeps, a summary of the prediction for the record, and
one `ExplanationTarget` per score to attribute (the label's probability; each
entity's score; an answer's start and end).

Example:

>>> setup = task.explanation_setup(model, encoder, {"text": "Angela Merkel visited Paris"}, label=None)
>>> [target.info for target in setup.targets]
[{'type': 'PER', 'text': 'Angela Merkel', 'start': 0, 'end': 13, 'probability': 0.93}, ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import tensorflow as tf

from tfft.text.char_offsets import to_char_offsets
from tfft.text.offset_tokenizer import OffsetTokenizer


@dataclass
class ExplainedPart:
    """One input text's word pieces: their tokens, model input positions and character offsets."""

    name: str  # the input's name: text, question, context
    text: str
    positions: np.ndarray  # index of each piece in the model's input sequence
    ids: np.ndarray  # the piece ids the model reads there
    tokens: list[str]
    starts: np.ndarray  # character offsets into ``text``
    ends: np.ndarray
    word_initial: np.ndarray  # False for "##" continuation pieces (markers and CJK characters start words)


@dataclass
class ExplanationTarget:
    """A score to attribute: what it is (JSON-able, into the record) and how to read it off the model outputs."""

    info: dict
    score: Callable[[object], tf.Tensor]  # model outputs → [batch]


@dataclass
class ExplanationSetup:
    inputs: dict[str, tf.Tensor]  # the model inputs of the example, batch of one
    parts: list[ExplainedPart]
    keep_ids: set[int]  # ids the baseline keeps ([CLS], [SEP], padding, entity markers)
    summary: dict  # the prediction, into the record (label and probability; the entities found)
    targets: list[ExplanationTarget]
    targets_key: str | None = None  # None: one target, its fields flat in the record; else a list under this key
    notes: list[str] = field(default_factory=list)


def wordpiece_part(offsets: OffsetTokenizer, name: str, text: str, first_position: int, room: int) -> ExplainedPart:
    """``text``'s first ``room`` word pieces, placed from ``first_position`` on (after [CLS], say)."""
    strings = tf.constant([text])
    tokens = offsets.tokenize(strings)
    count = min(int(tokens.ids.row_lengths()[0]), room)
    ids = tokens.ids[0].numpy()[:count]
    return ExplainedPart(
        name, text, np.arange(first_position, first_position + count), ids, [offsets.vocabulary[i] for i in ids],
        to_char_offsets(strings, tokens.starts)[0].numpy()[:count],
        to_char_offsets(strings, tokens.ends)[0].numpy()[:count], tokens.word_initial[0].numpy()[:count])


def check_part_ids(part: ExplainedPart, token_ids: np.ndarray) -> None:
    """The part's pieces must be the ids the model reads at its positions (the run's own tokenizer)."""
    if part.positions.size and (part.positions[-1] >= len(token_ids)
                                or not np.array_equal(token_ids[part.positions], part.ids)):
        raise ValueError(f"the word pieces of the {part.name} differ from the model's input ids; explanations "
                         f"need the run's own BERT WordPiece tokenizer")
