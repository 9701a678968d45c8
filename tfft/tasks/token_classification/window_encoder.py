"""Raw strings → windowed BERT inputs, keeping each token's place in the text.

The encoder of the token-level tasks: `OffsetTokenizer` for ids and offsets,
`TokenWindows` for texts longer than the model's window, and [CLS]/[SEP]
around each window. The same object builds training features and runs in the
serving graph.

Example:

>>> encoder = WindowEncoder(loaded.tokenizer, max_length=128, stride=64)
>>> tokens = encoder.tokenize(tf.constant(["Angela Merkel visited Paris."]))
>>> inputs, layout = encoder.window_inputs(tokens.ids)
>>> logits = model(inputs)
>>> per_token = encoder.windows.merge(logits, tokens.ids.row_lengths())
"""

from __future__ import annotations

import tensorflow as tf

from tfft.text.token_ids import special_ids
from tfft.text.offset_tokenizer import OffsetTokenizer, Tokens
from tfft.text.windows import TokenWindows, WindowLayout


class WindowEncoder:
    """Args:
        tokenizer: the backbone's keras-hub WordPiece tokenizer (saved with the run).
        max_length: model input length, special tokens included.
        stride: tokens between window starts (default: half a window).
    """

    def __init__(self, tokenizer, max_length: int, stride: int | None = None):
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.offsets = OffsetTokenizer.from_keras_hub(tokenizer)
        size = self.max_length - 2
        self.windows = TokenWindows(size, stride or max(size // 2, 1))
        self.start_id, self.end_id, self.pad_id = special_ids(tokenizer)

    def tokenize(self, texts: tf.Tensor) -> Tokens:
        return self.offsets.tokenize(texts)

    def wrap(self, window_values: tf.RaggedTensor, start, end) -> tf.RaggedTensor:
        """Adds ``start`` before and ``end`` after each window's values."""
        rows = window_values.nrows()
        column = lambda value: tf.fill([rows, 1], tf.cast(value, window_values.dtype))  # noqa: E731
        return tf.concat([column(start), window_values, column(end)], axis=1)

    def window_ids(self, ids: tf.RaggedTensor) -> tuple[tf.RaggedTensor, WindowLayout]:
        """Ragged [CLS] window [SEP] ids, one row per window, and the window layout."""
        layout = self.windows.split(ids.row_lengths())
        return self.wrap(self.windows.gather(ids, layout), self.start_id, self.end_id), layout

    def model_inputs(self, token_ids: tf.RaggedTensor) -> dict[str, tf.Tensor]:
        return {
            "token_ids": token_ids.to_tensor(self.pad_id),
            "segment_ids": tf.zeros_like(token_ids).to_tensor(0),
            "padding_mask": tf.ones_like(token_ids, dtype=tf.int32).to_tensor(0),
        }
