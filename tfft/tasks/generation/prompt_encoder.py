"""Turn prompts (and responses) into causal-LM rows, identically in training and serving.

A row is ``[start] prefix prompt suffix response [end]``, where ``prefix`` and
``suffix`` come from a template such as ``"{prompt}\\nSummary:"``. The prompt is
cut to fit ``max_length - max_new_tokens`` tokens (from its end, or from its
start, where the oldest text goes first); the response to
``max_new_tokens - 1`` tokens plus [end]. ``truncate="turns"`` drops whole
lines (dialogue turns), oldest first, instead of cutting inside one. Training
targets are the next token at every position, ``IGNORE_TARGET`` over the
prompt, so the loss is on the response alone.

Example:

>>> encoder = PromptEncoder(tokenizer, max_length=256, template="{prompt}\\nSummary:", max_new_tokens=64)
>>> token_ids, targets = encoder.training_rows(tf.constant(["A: hi"]), tf.constant(["A greets."]))
>>> prompt_ids = encoder.prompt_ids(tf.constant(["A: hi"]))   # what generation starts from
"""

from __future__ import annotations

import tensorflow as tf

from tfft.data.pipeline import IGNORE_TARGET
from tfft.tasks.generation.turn_truncation import last_whole_lines
from tfft.text.token_ids import repeated_ids, text_ids

PLACEHOLDER = "{prompt}"
TRUNCATE_SIDES = ("end", "start", "turns")


class PromptEncoder:
    def __init__(self, tokenizer, max_length: int, template: str = PLACEHOLDER, max_new_tokens: int = 64,
                 truncate: str = "end"):
        if template.count(PLACEHOLDER) != 1:
            raise ValueError(f"task_options.prompt_template must contain {PLACEHOLDER} once, got {template!r}")
        if truncate not in TRUNCATE_SIDES:
            raise ValueError(f"task_options.truncate must be one of {TRUNCATE_SIDES}, got {truncate!r}")
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.max_new_tokens = int(max_new_tokens)
        self.truncate = truncate
        prefix, suffix = template.split(PLACEHOLDER)
        self.prefix_ids, self.suffix_ids = text_ids(tokenizer, prefix), text_ids(tokenizer, suffix)
        self.start_id = int(tokenizer.start_token_id)
        self.end_id = int(tokenizer.end_token_id)
        self.pad_id = int(tokenizer.pad_token_id)
        self.prompt_budget = self.max_length - self.max_new_tokens
        fixed = 1 + len(self.prefix_ids) + len(self.suffix_ids)
        self.prompt_room = self.prompt_budget - fixed  # tokens left for the prompt text itself
        if self.prompt_room < 1:
            raise ValueError(f"model.max_length {max_length} leaves no room for a prompt after "
                             f"max_new_tokens {max_new_tokens} and the template's {fixed - 1} tokens")
        self._prompt_ids_graph = tf.function(self._prompt_ids, reduce_retracing=True)
        self._training_rows_graph = tf.function(self._training_rows, reduce_retracing=True)

    def prompt_ids(self, prompts: tf.Tensor) -> tf.RaggedTensor:
        """Ragged int32 ``[start] prefix prompt suffix`` of each prompt string."""
        return self._prompt_ids_graph(prompts)

    def training_rows(self, prompts: tf.Tensor, responses: tf.Tensor) -> tuple[tf.RaggedTensor, tf.RaggedTensor]:
        """``(token_ids, targets)``: the row minus its last token, and the next tokens (prompt ignored)."""
        return self._training_rows_graph(prompts, responses)

    # keras-hub tokenizers return Python lists when called eagerly; in a graph
    # they return ragged tensors, which is what the concatenations need.
    def _prompt_ids(self, prompts: tf.Tensor) -> tf.RaggedTensor:
        batch = tf.shape(prompts)[0]
        if self.truncate == "turns":
            body = last_whole_lines(self.tokenizer, prompts, self.prompt_room)
        else:
            body = tf.cast(self.tokenizer(prompts), tf.int32)
            body = body[:, :self.prompt_room] if self.truncate == "end" else body[:, -self.prompt_room:]
        opening = repeated_ids([self.start_id, *self.prefix_ids], batch)
        return tf.concat([opening, body, repeated_ids(self.suffix_ids, batch)], axis=1)

    def _training_rows(self, prompts: tf.Tensor, responses: tf.Tensor):
        prompt = self._prompt_ids(prompts)
        response = tf.cast(self.tokenizer(responses), tf.int32)[:, :self.max_new_tokens - 1]
        end = tf.RaggedTensor.from_tensor(tf.fill([tf.shape(prompts)[0], 1], self.end_id))
        answer = tf.concat([response, end], axis=1)
        row = tf.concat([prompt, answer], axis=1)
        ignored = tf.ragged.map_flat_values(lambda ids: tf.fill(tf.shape(ids), IGNORE_TARGET), prompt[:, 1:])
        return row[:, :-1], tf.concat([ignored, answer], axis=1)
