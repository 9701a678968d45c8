"""Prompt tuning for causal decoders (GPT-style), cached generation included.

In a causal decoder, soft-prompt vectors placed before the input never see the
input, so at every layer their keys and values depend on the prompt alone. Each
decoder layer therefore advances the prompt's hidden states by one layer (causal
attention among the prompt only) and hands the keys and values it computed for
them to its attention layer, which puts them before the real keys, in the
uncached forward pass and in keras-hub's cached decoding loop alike. The input
keeps positions 0, 1, ...; the prompt has no position embedding (it is trained).

Example:

>>> add_adapter(gpt2_backbone, PeftConfig(method="prompt", virtual_tokens=10))
"""

from __future__ import annotations

import keras
from keras import ops

from tfft.peft.layer_tree import PeftHost
from tfft.peft.prefix import prepend_keys_values
from tfft.peft.soft_prompt import SoftPromptSlot


class PromptState:
    """The prompt's hidden states between the decoder layers of one forward pass."""

    def __init__(self):
        self.hidden = None


class DecoderPromptSlot(SoftPromptSlot):
    """One decoder layer's share of a soft prompt: the first layer holds the vectors."""

    def __init__(self, length: int, width: int, first: bool, state: PromptState, **kwargs):
        super().__init__(length, width, first=first, last=False, **kwargs)
        self.state = state


class PromptKeysValues(keras.layers.Layer):
    """The attention side: keys and values of the prompt, set by its decoder layer per call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.current = None
        self.built = True

    def extend(self, key, value, attention_mask, use_causal_mask: bool):
        if self.current is None:  # the prompt's own pass: it attends to itself only
            return key, value, attention_mask
        return prepend_keys_values(key, value, attention_mask, use_causal_mask, *self.current)


class DecoderPromptHost(PeftHost):
    """A keras-hub TransformerDecoder that runs with the active soft prompt."""

    def call(self, decoder_sequence, *args, **kwargs):
        slot = self.peft_module()
        if slot is None:
            return super().call(decoder_sequence, *args, **kwargs)
        attention = self._self_attention_layer
        prompt_side = attention.peft_module()
        if slot.first:
            slot.state.hidden = ops.cast(slot.embeddings, decoder_sequence.dtype)[None]
        hidden = slot.state.hidden
        attended = self._self_attention_layer_norm(hidden) if self.normalize_first else hidden
        prompt_side.current = None
        slot.state.hidden = super().call(hidden, training=kwargs.get("training"))
        prompt_side.current = (attention._key_dense(attended), attention._value_dense(attended))
        try:
            return super().call(decoder_sequence, *args, **kwargs)
        finally:
            prompt_side.current = None
