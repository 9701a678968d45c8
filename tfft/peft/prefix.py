"""Prefix tuning (Li & Liang 2021): learned keys and values in every attention layer.

Each attention layer gets ``virtual_tokens`` trained key/value vectors per head
that every query attends to, placed before the real keys. The hook is
Keras' ``MultiHeadAttention._compute_attention``, which both keras-hub's
encoder attention and its cached decoder attention call with the projected
keys and values, so prefixes also work in cached generation. The prefix is
trained directly (no re-parameterising MLP): nothing to fold away at export.

Example:

>>> make_host(attention, PrefixHost, switch); attach(attention, "sst2", AttentionPrefix(20, 12, 32))
"""

from __future__ import annotations

import keras
from keras import ops

from tfft.peft.layer_tree import PeftHost


class AttentionPrefix(keras.layers.Layer):
    def __init__(self, length: int, num_heads: int, head_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.length, self.num_heads, self.head_dim = int(length), int(num_heads), int(head_dim)
        if length < 1:
            raise ValueError(f"peft.virtual_tokens must be at least 1, got {length}")
        init = keras.initializers.RandomNormal(stddev=0.02)
        self.keys = self.add_weight(name="keys", shape=(length, num_heads, head_dim), initializer=init)
        self.values = self.add_weight(name="values", shape=(length, num_heads, head_dim), initializer=init)
        self.built = True

    def get_config(self) -> dict:
        return {**super().get_config(), "length": self.length, "num_heads": self.num_heads,
                "head_dim": self.head_dim}

    def extend(self, key, value, attention_mask, use_causal_mask: bool):
        """Key, value and mask with the prefix in front (a prefix is visible to every query)."""
        return prepend_keys_values(key, value, attention_mask, use_causal_mask,
                                   self.keys[None], self.values[None])


def prepend_keys_values(key, value, attention_mask, use_causal_mask: bool, keys, values):
    """``keys`` / ``values`` (``[1, P, heads, dim]``) before every row's own, visible to every query."""
    batch = ops.shape(key)[0]
    key = ops.concatenate([ops.broadcast_to(ops.cast(keys, key.dtype), (batch, *keys.shape[1:])), key], axis=1)
    value = ops.concatenate([ops.broadcast_to(ops.cast(values, value.dtype), (batch, *values.shape[1:])), value],
                            axis=1)
    if attention_mask is None and use_causal_mask:
        raise ValueError("prefix and prompt tuning need an explicit attention mask")
    if attention_mask is not None:
        shape = ops.shape(attention_mask)
        visible = ops.ones((shape[0], shape[1], keys.shape[1]), dtype=attention_mask.dtype)
        attention_mask = ops.concatenate([visible, attention_mask], axis=-1)
    return key, value, attention_mask


class PrefixHost(PeftHost):
    """Multi-head attention whose keys and values start with the active prefix."""

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, **kwargs):
        module = self.peft_module()
        if module is not None:
            key, value, attention_mask = module.extend(key, value, attention_mask,
                                                       kwargs.get("use_causal_mask", False))
        return super()._compute_attention(query, key, value, attention_mask, training,
                                          return_attention_scores, **kwargs)
