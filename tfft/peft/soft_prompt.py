"""Prompt tuning (Lester et al. 2021): learned embeddings placed before the input.

The first encoder layer receives ``virtual_tokens`` trained vectors in front of the
embedded input, every layer sees them (their padding mask is extended), and the last
layer drops them again, so the backbone's outputs keep the input's length and every
task head (pooled, per-token, span) works unchanged. The vectors skip the position
embedding; being trained, they learn whatever position they need.

This is the encoder (BERT-style) form; causal decoders use `tfft.peft.decoder_prompt`,
which also works in cached generation.

Example:

>>> make_host(layer, SoftPromptHost, switch); attach(layer, "sst2", SoftPromptSlot(20, 384, first=True))
"""

from __future__ import annotations

import keras
from keras import ops

from tfft.peft.layer_tree import PeftHost


class SoftPromptSlot(keras.layers.Layer):
    """One encoder layer's share of a soft prompt: the first holds the vectors, the last drops them."""

    def __init__(self, length: int, width: int, first: bool, last: bool, **kwargs):
        super().__init__(**kwargs)
        if length < 1:
            raise ValueError(f"peft.virtual_tokens must be at least 1, got {length}")
        self.length, self.width, self.first, self.last = int(length), int(width), first, last
        if first:
            self.embeddings = self.add_weight(
                name="embeddings", shape=(length, width),
                initializer=keras.initializers.RandomNormal(stddev=0.02))
        self.built = True

    def get_config(self) -> dict:
        return {**super().get_config(), "length": self.length, "width": self.width, "first": self.first,
                "last": self.last}

    def prepend(self, hidden):
        batch = ops.shape(hidden)[0]
        prompt = ops.cast(self.embeddings, hidden.dtype)[None]
        return ops.concatenate([ops.broadcast_to(prompt, (batch, *self.embeddings.shape)), hidden], axis=1)

    def extend_mask(self, padding_mask):
        if padding_mask is None:
            return None
        visible = ops.ones((ops.shape(padding_mask)[0], self.length), dtype=padding_mask.dtype)
        return ops.concatenate([visible, padding_mask], axis=1)


class SoftPromptHost(PeftHost):
    """A keras-hub TransformerEncoder that runs with the active soft prompt."""

    def call(self, inputs, padding_mask=None, attention_mask=None, **kwargs):
        slot = self.peft_module()
        if slot is None:
            return super().call(inputs, padding_mask=padding_mask, attention_mask=attention_mask, **kwargs)
        if attention_mask is not None:
            raise ValueError("prompt tuning supports padding masks only, not explicit attention masks")
        hidden = slot.prepend(inputs) if slot.first else inputs
        outputs = super().call(hidden, padding_mask=slot.extend_mask(padding_mask), **kwargs)
        return outputs[:, slot.length:] if slot.last else outputs
