"""Gradient accumulation: four micro-batches make the same step as one 4× batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfft.backbones import SCRATCH_SIZES
from tfft.training.accumulation import accumulate_gradients, loss_denominator

VOCABULARY, LENGTH, ROWS = 50, 12, 16


def tiny_tagger(per_token: bool) -> keras.Model:
    import keras_hub

    keras.utils.set_random_seed(3)
    backbone = keras_hub.models.BertBackbone(vocabulary_size=VOCABULARY, max_sequence_length=LENGTH,
                                             dropout=0.0, **SCRATCH_SIZES["tiny"])
    sequence = backbone.output["sequence_output"]
    outputs = keras.layers.Dense(5)(sequence if per_token else sequence[:, 0])
    return keras.Model(backbone.input, outputs)


def batch(per_token: bool):
    rng = np.random.default_rng(0)
    lengths = rng.integers(2, LENGTH + 1, ROWS)  # uneven real-token counts per micro-batch
    mask = (np.arange(LENGTH)[None, :] < lengths[:, None]).astype("int32")
    x = {"token_ids": rng.integers(1, VOCABULARY, (ROWS, LENGTH)) * mask,
         "segment_ids": np.zeros((ROWS, LENGTH), "int32"), "padding_mask": mask}
    if per_token:
        return x, np.where(mask == 1, rng.integers(0, 5, (ROWS, LENGTH)), -1)
    return x, keras.utils.to_categorical(rng.integers(0, 5, ROWS), 5)


def one_step(per_token: bool, accumulation: int) -> list[np.ndarray]:
    model = accumulate_gradients(tiny_tagger(per_token), accumulation)
    loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1) if per_token
            else keras.losses.CategoricalCrossentropy(from_logits=True))
    # Plain SGD: Adam's first step is ~lr·sign(g), which turns float round-off in
    # near-zero gradients into lr-sized differences; the update is then the
    # gradient itself, so weights compare gradients.
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss=loss)
    x, y = batch(per_token)
    model.train_on_batch(x, y)
    return [w.numpy() for w in model.trainable_weights]


@pytest.mark.parametrize("per_token", [True, False], ids=["token-level loss", "row-level loss"])
def test_four_micro_batches_match_one_large_batch(per_token):
    single = one_step(per_token, 1)
    accumulated = one_step(per_token, 4)
    untrained = [w.numpy() for w in tiny_tagger(per_token).trainable_weights]
    moved = max(np.abs(a - b).max() for a, b in zip(single, untrained))
    difference = max(np.abs(a - b).max() for a, b in zip(single, accumulated))
    assert moved > 1e-3  # the step did change the weights
    assert difference <= 1e-5


def test_token_losses_are_normalised_by_real_tokens_not_per_micro_batch():
    # Mean of per-micro-batch means differs from the token mean when counts differ.
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    y = tf.constant([[1, -1, -1], [2, 0, 1]])
    assert float(loss_denominator(loss, y, None)) == 4.0
    weighted = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")
    assert float(loss_denominator(weighted, y, tf.constant([[1.0, 0, 0], [1, 1, 0]]))) == 3.0
    assert float(loss_denominator(keras.losses.CategoricalCrossentropy(), tf.ones([5, 3]), None)) == 5.0


def test_accumulation_steps_must_be_positive():
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        accumulate_gradients(tiny_tagger(False), 0)
