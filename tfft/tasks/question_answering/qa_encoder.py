"""(question, context) strings → windowed BERT inputs that remember where the context is.

Each feature is ``[CLS] question [SEP] context window [SEP]``: the question is
cut to ``max_question_length`` tokens and a long context is split into
overlapping windows of a fixed size, so every feature fits ``max_length``.
The context keeps its token offsets, so a predicted token span maps back to
characters of the original context. The same object builds training features
and runs in the serving graph.

Example:

>>> encoder = QAEncoder(loaded.tokenizer, max_length=256)
>>> features = encoder.features(tf.constant(["Who?"]), tf.constant(["Ada wrote it."]))
>>> model(encoder.model_inputs(features))
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from tfft.text.token_ids import special_ids
from tfft.text.offset_tokenizer import OffsetTokenizer, Tokens
from tfft.text.windows import TokenWindows, WindowLayout


@dataclass
class QAFeatures:
    token_ids: tf.RaggedTensor  # [features, (tokens)]
    segment_ids: tf.RaggedTensor  # 0: [CLS] question [SEP], 1: context window [SEP]
    layout: WindowLayout  # which example and context tokens each feature holds
    context_offset: tf.Tensor  # int32 [features]: position of the window's first token
    context: Tokens  # the contexts' tokens with byte offsets, [examples, (tokens)]


class QAEncoder:
    """Args:
        tokenizer: the backbone's keras-hub WordPiece tokenizer.
        max_length: model input length, special tokens included.
        max_question_length: question tokens kept.
        stride: context tokens between window starts (default: half a window).
    """

    def __init__(self, tokenizer, max_length: int, max_question_length: int = 64,
                 stride: int | None = None):
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.max_question_length = min(int(max_question_length), self.max_length // 2)
        size = self.max_length - 3 - self.max_question_length
        self.windows = TokenWindows(size, int(stride) if stride else max(size // 2, 1))
        self.offsets = OffsetTokenizer.from_keras_hub(tokenizer)
        self.start_id, self.end_id, self.pad_id = special_ids(tokenizer)

    def features(self, questions: tf.Tensor, contexts: tf.Tensor) -> QAFeatures:
        question_ids = self.offsets.tokenize(questions).ids[:, :self.max_question_length]
        context = self.offsets.tokenize(contexts)
        layout = self.windows.split(context.ids.row_lengths())
        window = self.windows.gather(context.ids, layout)
        question = tf.gather(question_ids, layout.example)
        column = lambda value: tf.fill([tf.size(layout.example), 1], tf.constant(value, tf.int32))  # noqa: E731
        head = tf.concat([column(self.start_id), question, column(self.end_id)], axis=1)
        tail = tf.concat([window, column(self.end_id)], axis=1)
        token_ids = tf.concat([head, tail], axis=1)
        segment_ids = tf.concat([tf.zeros_like(head), tf.ones_like(tail)], axis=1)
        context_offset = tf.cast(question.row_lengths(), tf.int32) + 2
        return QAFeatures(token_ids, segment_ids, layout, context_offset, context)

    def model_inputs(self, features: QAFeatures) -> dict[str, tf.Tensor]:
        return {
            "token_ids": features.token_ids.to_tensor(self.pad_id),
            "segment_ids": features.segment_ids.to_tensor(0),
            "padding_mask": tf.ones_like(features.token_ids, dtype=tf.int32).to_tensor(0),
        }
