"""Choose which weights train: everything, the head only, the top k encoder layers,
or everything but the word-embedding table.

``embeddings`` freezes only the token embedding table (half of MiniLM-L6's
weights): on small data it overfits less, and a step skips the table's dense
gradient and AdamW update.

Example:

>>> apply_freezing(backbone, ModelConfig(freeze="top_k", train_top_layers=2))
"""

from __future__ import annotations

import keras

from tfft.config import ModelConfig

TOKEN_EMBEDDING = "token_embedding"


def apply_freezing(backbone: keras.Model, model: ModelConfig) -> None:
    """Sets ``trainable`` on the backbone's layers; the task head always trains."""
    backbone.trainable = model.freeze != "backbone"
    for layer in backbone.layers:  # start from a clean state: the call is idempotent
        layer.trainable = backbone.trainable
    if model.freeze == "embeddings":
        _freeze_token_embedding(backbone)
        return
    if model.freeze != "top_k":
        return
    encoder_layers = list(getattr(backbone, "transformer_layers", []))
    if not encoder_layers:
        raise ValueError(f"model.freeze=top_k needs a backbone with transformer_layers; "
                         f"{type(backbone).__name__} has none")
    k = model.train_top_layers
    if not 0 <= k <= len(encoder_layers):
        raise ValueError(f"model.train_top_layers must be in [0, {len(encoder_layers)}], got {k}")
    trainable = {id(layer) for layer in encoder_layers[len(encoder_layers) - k:]}
    for layer in backbone.layers:
        # The pooler sits above the encoder stack, so it trains with the top layers.
        layer.trainable = id(layer) in trainable or "pooled" in layer.name


def _freeze_token_embedding(backbone: keras.Model) -> None:
    names = [layer.name for layer in backbone.layers]
    if TOKEN_EMBEDDING not in names:
        raise ValueError(f"model.freeze=embeddings needs a '{TOKEN_EMBEDDING}' layer; "
                         f"{type(backbone).__name__} has {names}")
    backbone.get_layer(TOKEN_EMBEDDING).trainable = False
