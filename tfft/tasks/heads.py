"""Heads shared by task modules, attached to a backbone with the functional API."""

from __future__ import annotations

import keras

from tfft.backbones import freeze_unused_pooler
from tfft.layers.masked_mean_pooling import MaskedMeanPooling

POOLINGS = ("cls", "mean")


def check_pooling(pooling: str) -> str:
    """``pooling`` if it is one of `POOLINGS`, else a ValueError naming the option."""
    if pooling not in POOLINGS:
        raise ValueError(f"task_options.pooling must be 'cls' or 'mean', got '{pooling}'")
    return pooling


def text_vector(backbone: keras.Model, pooling: str):
    """One vector per text of ``backbone.input``: the pooled [CLS] output, or the mean of the token vectors.

    Mean pooling leaves the [CLS] pooler without gradient, so it is frozen.

    Example:

    >>> pooled = text_vector(backbone, "mean")
    """
    inputs = backbone.input
    if pooling == "cls":
        return backbone(inputs)["pooled_output"]
    freeze_unused_pooler(backbone)
    return MaskedMeanPooling(name="mean_pooling")(backbone(inputs)["sequence_output"], inputs["padding_mask"])


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
