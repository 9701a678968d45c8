"""Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2020).

A small residual MLP, ``h + up(gelu(down(h)))``, placed on a sub-layer's output
before the residual connection. The up-projection starts at zero, so a fresh
adapter is the identity and training starts from the pretrained model.
keras-hub's encoder and decoder layers end both sub-layers in a named dropout
(``self_attention_dropout``, ``feedforward_dropout``), so the adapter rides on
that dropout: Houlsby places one after attention and one after the
feed-forward block, Pfeiffer after the feed-forward block only.

Example:

>>> make_host(layer, BottleneckHost, switch); attach(layer, "sst2", BottleneckAdapter(384, 64))
"""

from __future__ import annotations

import keras

from tfft.peft.layer_tree import PeftHost

PLACES = {"houlsby": ("self_attention_dropout", "feedforward_dropout"),
          "pfeiffer": ("feedforward_dropout",)}


class BottleneckAdapter(keras.layers.Layer):
    def __init__(self, width: int, bottleneck: int, **kwargs):
        super().__init__(**kwargs)
        self.width, self.bottleneck = int(width), int(bottleneck)
        if bottleneck < 1:
            raise ValueError(f"peft.bottleneck must be at least 1, got {bottleneck}")
        self.down = keras.layers.Dense(bottleneck, activation="gelu", name="down",
                                       kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
                                       dtype=self.dtype_policy)
        self.up = keras.layers.Dense(width, kernel_initializer="zeros", name="up", dtype=self.dtype_policy)
        self.down.build((None, width))
        self.up.build((None, bottleneck))
        self.built = True

    def get_config(self) -> dict:
        return {**super().get_config(), "width": self.width, "bottleneck": self.bottleneck}

    def call(self, hidden):
        return hidden + self.up(self.down(hidden))


class BottleneckHost(PeftHost):
    """A dropout layer followed by the active bottleneck adapter."""

    def call(self, inputs, training=None):
        outputs = super().call(inputs, training=training)
        module = self.peft_module()
        return outputs if module is None else module(outputs)
