"""Wrap each text in a cloze template such as ``"{text} It was [MASK]."`` (prompt-based learning).

The template's words are tokenized once; each text is tokenized in the graph,
cut so that the whole row fits ``max_length`` (the text gives way, never the
template or its mask), and joined as ``[CLS] before text between [MASK] after
[SEP]``. The mask token is placed by id, so it never goes through WordPiece.

Example:

>>> encoder = TemplateEncoder(tokenizer, max_length=128, template="{text} It was [MASK].")
>>> token_ids, segment_ids = encoder.encode(tf.constant(["a gripping, funny film"]))
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from tfft.text.segment_encoder import SegmentEncoder
from tfft.text.token_ids import repeated_ids, text_ids

TEXT_SLOT = "{text}"
MASK_SLOT = "[MASK]"
DEFAULT_TEMPLATE = "{text} It was [MASK]."


@dataclass(frozen=True)
class ClozeTemplate:
    """A template split around its two slots: ``before {text} between [MASK] after``."""

    before: str
    between: str
    after: str

    @classmethod
    def parse(cls, template: str) -> "ClozeTemplate":
        for slot in (TEXT_SLOT, MASK_SLOT):
            if template.count(slot) != 1:
                raise ValueError(f"task_options.template must contain {slot} exactly once, got {template!r}")
        if template.index(TEXT_SLOT) > template.index(MASK_SLOT):
            raise ValueError(f"task_options.template must put {TEXT_SLOT} before {MASK_SLOT}, got {template!r}")
        before, rest = template.split(TEXT_SLOT)
        between, after = rest.split(MASK_SLOT)
        return cls(before, between, after)


class TemplateEncoder(SegmentEncoder):
    """A `SegmentEncoder` that puts every text into one cloze template (single texts only)."""

    def __init__(self, tokenizer, max_length: int, template: str = DEFAULT_TEMPLATE):
        super().__init__(tokenizer, max_length)
        self.mask_id = getattr(tokenizer, "mask_token_id", None)
        if self.mask_id is None:
            raise ValueError(f"prompt templates need a tokenizer with a [MASK] token; "
                             f"{type(tokenizer).__name__} has none (use a BERT-style backbone)")
        parts = ClozeTemplate.parse(template)
        self.opening = [self.start_id, *text_ids(tokenizer, parts.before)]
        self.closing = [*text_ids(tokenizer, parts.between), int(self.mask_id),
                        *text_ids(tokenizer, parts.after), self.end_id]
        self.text_room = self.max_length - len(self.opening) - len(self.closing)
        if self.text_room < 1:
            raise ValueError(f"model.max_length {max_length} leaves no room for the text after the "
                             f"template's {len(self.opening) + len(self.closing)} tokens")

    def _encode(self, texts: tf.Tensor, pairs: tf.Tensor | None = None):
        if pairs is not None:
            raise ValueError("a cloze template takes single texts; the data has a text_pair column")
        batch = tf.shape(texts)[0]
        body = tf.cast(self.tokenize(texts), tf.int32)[:, :self.text_room]
        token_ids = tf.concat([repeated_ids(self.opening, batch), body, repeated_ids(self.closing, batch)], axis=1)
        return token_ids, tf.zeros_like(token_ids)
