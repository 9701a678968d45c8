"""Heads shared by task modules, attached to a backbone with the functional API."""

from __future__ import annotations

import keras

from tfft.backbones import freeze_unused_pooler


def per_token_head(backbone: keras.Model, units: int, dropout: float, name: str,
                   layer_names: tuple[str, str]) -> keras.Model:
    """Dropout + a float32 Dense over every token vector: logits ``[batch, length, units]``.

    The backbone's [CLS] pooler gets no gradient from such heads, so it is
    frozen (which also keeps Keras from warning about missing gradients).

    Example:

    >>> model = per_token_head(backbone, 9, 0.1, "token_classifier", ("token_dropout", "tag_logits"))
    """
    # === Layers ===
    dropout_name, logits_name = layer_names
    dropout_layer = keras.layers.Dropout(dropout, name=dropout_name)
    dense = keras.layers.Dense(
        units, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        dtype="float32",  # logits and loss stay float32 under mixed precision
        name=logits_name,
    )
    # === Functional Model ===
    freeze_unused_pooler(backbone)
    inputs = backbone.input
    sequence = backbone(inputs)["sequence_output"]
    return keras.Model(inputs, dense(dropout_layer(sequence)), name=name)
