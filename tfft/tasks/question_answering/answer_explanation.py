"""What `tfft explain` attributes for extractive QA: the predicted answer's start and its end.

The window the answer comes from is explained (a long context has several):
its question and context pieces, each mapped back to its own text. The start
score is the softmax probability of the answer's first token among the
window's context tokens, the end score that of its last; their product is
the ``score`` the export serves.

Example:

>>> setup = answer_explanation_setup(task, model, encoder, {"question": "Who wrote it?",
...                                                          "context": "Ada wrote it in 1843."})
>>> [target.info["target"] for target in setup.targets]
['start', 'end']
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfft.tasks.explanation import ExplainedPart, ExplanationSetup, ExplanationTarget, wordpiece_part
from tfft.tasks.question_answering.qa_encoder import QAEncoder
from tfft.tasks.question_answering.span_search import NEG, best_answers, span_scores


def _boundary_score(which: int, first: int, last: int, position: int):
    def score(logits: tf.Tensor) -> tf.Tensor:
        values = tf.cast(logits[..., which], tf.float32)
        positions = tf.range(tf.shape(values)[1])
        inside = (positions >= first) & (positions < last)
        return tf.nn.softmax(tf.where(inside[None, :], values, NEG), axis=-1)[:, position]

    return score


def _context_part(encoder: QAEncoder, context: str, window_start: int, first: int, count: int) -> ExplainedPart:
    whole = wordpiece_part(encoder.offsets, "context", context, 0, window_start + count)
    keep = slice(window_start, window_start + count)
    return ExplainedPart("context", context, np.arange(first, first + count), whole.ids[keep], whole.tokens[keep],
                         whole.starts[keep], whole.ends[keep], whole.word_initial[keep])


def answer_explanation_setup(task, model: keras.Model, encoder: QAEncoder, inputs: dict[str, str],
                             label: str | None = None) -> ExplanationSetup:
    if label is not None:
        raise ValueError("--label picks a classifier's label; QA explains its answer's start and end")
    question, context = inputs["question"], inputs["context"]
    features = encoder.features(tf.constant([question]), tf.constant([context]))
    logits = model(encoder.model_inputs(features), training=False)
    answer = {name: value.numpy()[0] for name, value in
              best_answers(logits, features, tf.constant([context]), task.max_answer_length, task.allow_empty).items()}
    score, start_at, end_at, _, _ = (value.numpy() for value in span_scores(logits, features, task.max_answer_length))
    window = int(np.argmax(score))  # the first window with the best span, as best_answers picks
    model_inputs = {name: value[window:window + 1] for name, value in encoder.model_inputs(features).items()}
    first = int(features.context_offset[window])
    count = int(features.layout.token_index.row_lengths()[window])
    parts = [wordpiece_part(encoder.offsets, "question", question, 1, first - 2),
             _context_part(encoder, context, int(features.layout.start[window]), first, count)]
    summary = {"answer": answer["answer"].decode(), "answer_start": int(answer["answer_start"]),
               "answer_end": int(answer["answer_end"]), "answer_score": float(answer["score"])}
    targets = []
    if summary["answer_start"] >= 0:
        for which, name, position in ((0, "start", int(start_at[window])), (1, "end", int(end_at[window]))):
            piece = parts[1].tokens[position - first]
            targets.append(ExplanationTarget({"target": name, "token": piece},
                                             _boundary_score(which, first, first + count, position)))
    return ExplanationSetup(model_inputs, parts, {encoder.start_id, encoder.end_id, encoder.pad_id}, summary,
                            targets, targets_key="answer_boundaries")
