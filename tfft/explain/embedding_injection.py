"""Run a backbone on given token embeddings instead of the ones its ids look up.

Attribution methods differentiate a model's output with respect to its input
embeddings, which are a lookup of integer ids: the lookup has no gradient.
While `injected_embeddings` is active, the backbone's token-embedding layer
returns the given tensor, so the rest of the functional graph (position and
segment embeddings, attention masks, every head) runs unchanged on it.

Example:

>>> with injected_embeddings(backbone.token_embedding, vectors):
...     logits = model(inputs, training=False)
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import keras
import tensorflow as tf


@contextmanager
def injected_embeddings(layer: keras.layers.Layer, vectors: tf.Tensor) -> Iterator[None]:
    """Within the block, ``layer`` returns ``vectors`` for its forward lookup (a reverse call is untouched)."""
    original = layer.call

    def call(*args, **kwargs):
        if kwargs.get("reverse"):
            return original(*args, **kwargs)
        return vectors

    layer.call = call
    try:
        yield
    finally:
        del layer.call  # back to the class's method


def token_embedding_layer(backbone: keras.Model) -> keras.layers.Layer:
    """The backbone's token-embedding layer (keras-hub backbones name it ``token_embedding``)."""
    layer = getattr(backbone, "token_embedding", None)
    if layer is None:
        raise ValueError(f"{type(backbone).__name__} has no token_embedding layer; explanations need a "
                         f"keras-hub text backbone")
    return layer
