"""Best answer span from start/end logits, over every window of an example, as TF ops.

In each feature, every (start, end) pair inside the context window with
``end - start < max_answer_tokens`` is scored ``start_logit + end_logit`` (an
exhaustive search, which the usual n-best shortlist approximates). The best
pair over an example's windows wins; its token positions map back to
character offsets of the context. With ``allow_empty`` (SQuAD v2.0), an
example answers nothing when the [CLS] score ``start[0] + end[0]`` (the lowest
over its windows) beats the best span.

Example:

>>> answer = best_answers(logits, features, contexts, max_answer_tokens=30)
>>> answer["answer"], answer["answer_start"], answer["answer_end"], answer["score"]
"""

from __future__ import annotations

import tensorflow as tf

from tfft.text.char_offsets import to_char_offsets
from tfft.tasks.question_answering.qa_encoder import QAFeatures

NEG = -1e9


def span_scores(logits: tf.Tensor, features: QAFeatures, max_answer_tokens: int):
    """Best span per feature: (score, start position, end position, probability)."""
    logits = tf.cast(logits, tf.float32)
    start, end = logits[..., 0], logits[..., 1]
    length = tf.shape(start)[1]
    positions = tf.range(length)
    first = tf.expand_dims(features.context_offset, 1)
    last = first + tf.expand_dims(tf.cast(features.layout.token_index.row_lengths(), tf.int32), 1)
    in_context = (positions[None, :] >= first) & (positions[None, :] < last)  # [F, T]
    gap = positions[None, :] - positions[:, None]  # end - start, [T, T]
    allowed = (gap >= 0) & (gap < max_answer_tokens)
    allowed = allowed[None] & in_context[:, :, None] & in_context[:, None, :]
    scores = tf.where(allowed, start[:, :, None] + end[:, None, :], NEG)
    flat = tf.reshape(scores, [tf.shape(scores)[0], -1])
    best = tf.argmax(flat, axis=1, output_type=tf.int32)
    log_start = tf.nn.log_softmax(tf.where(in_context, start, NEG), axis=1)
    log_end = tf.nn.log_softmax(tf.where(in_context, end, NEG), axis=1)
    start_at, end_at = best // length, best % length
    probability = tf.exp(tf.gather(log_start, start_at, batch_dims=1) + tf.gather(log_end, end_at, batch_dims=1))
    return tf.reduce_max(flat, axis=1), start_at, end_at, probability, start[:, 0] + end[:, 0]


def best_answers(logits: tf.Tensor, features: QAFeatures, contexts: tf.Tensor,
                 max_answer_tokens: int, allow_empty: bool = False) -> dict[str, tf.Tensor]:
    score, start_at, end_at, probability, null = span_scores(logits, features, max_answer_tokens)
    example = features.layout.example
    n_examples = tf.shape(contexts)[0]
    best_score = tf.math.unsorted_segment_max(score, example, n_examples)
    is_best = tf.equal(score, tf.gather(best_score, example))
    feature_index = tf.range(tf.size(example))
    chosen = tf.math.unsorted_segment_min(tf.where(is_best, feature_index, tf.size(example)), example, n_examples)

    def pick(values):
        return tf.gather(values, chosen)

    # Window positions -> context token indices -> byte offsets in the context.
    window_start = pick(features.layout.start) - pick(features.context_offset)
    first_token = pick(start_at) + window_start
    last_token = pick(end_at) + window_start
    row_start = tf.cast(features.context.ids.row_splits[:-1], tf.int32)
    byte_start = _safe_gather(features.context.starts.flat_values, row_start + first_token)
    byte_end = _safe_gather(features.context.ends.flat_values, row_start + last_token)
    answered = features.context.ids.row_lengths() > 0  # an empty context has no answer
    if allow_empty:
        answered &= best_score > tf.math.unsorted_segment_min(null, example, n_examples)
    char_start = to_char_offsets(contexts, tf.RaggedTensor.from_tensor(byte_start[:, None])).flat_values
    char_end = to_char_offsets(contexts, tf.RaggedTensor.from_tensor(byte_end[:, None])).flat_values
    text = tf.strings.substr(contexts, byte_start, byte_end - byte_start)
    return {
        "answer": tf.where(answered, text, ""),
        "answer_start": tf.where(answered, char_start, -1),
        "answer_end": tf.where(answered, char_end, -1),
        "score": tf.where(answered, pick(probability), 0.0),
    }


def _safe_gather(values: tf.Tensor, index: tf.Tensor) -> tf.Tensor:
    """``values[index]``, reading 0 where the index falls outside (empty contexts)."""
    padded = tf.concat([values, [0]], axis=0)
    outside = (index < 0) | (index >= tf.size(values))
    return tf.gather(padded, tf.where(outside, tf.size(values), index))
