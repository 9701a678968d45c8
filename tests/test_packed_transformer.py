"""The export's padding-free encoder kernels compute what keras-hub's layers compute."""

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from tfft.backbones import load_backbone
from tfft.config import PeftConfig
from tfft.export.packed_transformer import PackedHandoff, is_packable, packed_transformer_calls
from tfft.peft import add_adapter, merge_active
from tfft.peft.methods import METHODS

LENGTHS = [9, 3, 6]  # a padded batch: rows of different lengths


def padded_batch(vocabulary: int, length: int = 9, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    mask = np.arange(length)[None, :] < np.asarray(LENGTHS)[:, None]
    ids = np.where(mask, rng.integers(5, vocabulary, (len(LENGTHS), length)), 0)
    return {"token_ids": tf.constant(ids, tf.int32), "segment_ids": tf.zeros_like(ids, tf.int32),
            "padding_mask": tf.constant(mask)}


def randomize(model: keras.Model, seed: int = 1) -> None:
    """Random LayerNorm and bias values too, so a wrong gamma/beta/bias shows up."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        variable.assign(rng.normal(0, 0.2, variable.shape).astype("float32"))


def traced(backbone):
    return tf.function(lambda inputs: backbone(inputs, training=False)["sequence_output"])


@pytest.fixture
def backbone():
    model = load_backbone("scratch:tiny").backbone
    randomize(model)
    return model


def test_packed_transformer_matches_stock_layers_at_real_tokens_and_zeroes_pads(backbone):
    inputs = padded_batch(backbone.vocabulary_size)
    stock = traced(backbone)(inputs).numpy()
    with packed_transformer_calls(backbone) as packed_layers:
        packed = traced(backbone)(inputs).numpy()
    assert packed_layers == backbone.num_layers
    real = inputs["padding_mask"].numpy()
    assert np.abs(packed[real] - stock[real]).max() <= 1e-5
    assert np.abs(stock[real]).max() > 0.1  # the comparison is not of zeros
    assert not packed[~real].any()


def test_calls_are_restored_after_the_block(backbone):
    layers = [layer for layer in backbone._flatten_layers() if isinstance(layer, keras_hub.layers.TransformerEncoder)]
    with packed_transformer_calls(backbone):
        assert all("call" in layer.__dict__ for layer in layers)
    assert not any("call" in layer.__dict__ for layer in layers)
    inputs = padded_batch(backbone.vocabulary_size)
    pads = backbone(inputs, training=False)["sequence_output"].numpy()[~inputs["padding_mask"].numpy()]
    assert np.abs(pads).max() > 0  # the stock layer again: it computes outputs at pads


def test_pre_layer_norm_block_is_computed_exactly():
    layer = keras_hub.layers.TransformerEncoder(intermediate_dim=24, num_heads=2, normalize_first=True,
                                                activation="relu")
    inputs = tf.random.stateless_normal((3, 9, 8), seed=(1, 2))
    mask = tf.constant(np.arange(9)[None, :] < np.asarray(LENGTHS)[:, None])
    model = keras.Model(*_functional(layer))
    randomize(model)
    stock = model([inputs, mask]).numpy()
    with packed_transformer_calls(model) as packed_layers:
        packed = model([inputs, mask]).numpy()
    assert packed_layers == 1
    assert np.abs(packed[mask.numpy()] - stock[mask.numpy()]).max() <= 1e-5


def _functional(layer):
    x = keras.Input((9, 8))
    mask = keras.Input((9,), dtype="bool")
    return [x, mask], layer(x, padding_mask=mask)


@pytest.mark.parametrize("method", sorted(set(METHODS) - {"none"}))
def test_every_peft_method_exports_what_it_computes(backbone, method):
    add_adapter(backbone, PeftConfig(method=method, targets=["query", "value", "feedforward_intermediate_dense"]))
    randomize(backbone, seed=2)  # adapters that start as the identity would hide a skipped adapter
    inputs = padded_batch(backbone.vocabulary_size)
    stock = traced(backbone)(inputs).numpy()
    with packed_transformer_calls(backbone):
        packed = traced(backbone)(inputs).numpy()
    real = inputs["padding_mask"].numpy()
    if packed.shape != stock.shape:  # soft prompts add positions; the packed path must not have run
        pytest.fail(f"{method}: shapes {packed.shape} != {stock.shape}")
    assert np.abs(packed[real] - stock[real]).max() <= 1e-5


def test_layers_with_an_active_adapter_keep_their_own_call_until_merged(backbone):
    add_adapter(backbone, PeftConfig(method="lora", targets=["query", "value"]))
    layers = [layer for layer in backbone._flatten_layers() if isinstance(layer, keras_hub.layers.TransformerEncoder)]
    assert not any(is_packable(layer) for layer in layers)
    with packed_transformer_calls(backbone) as packed_layers:
        assert packed_layers == 0
    merge_active(backbone)
    assert all(is_packable(layer) for layer in layers)


def test_a_custom_attention_mask_runs_the_stock_call(backbone):
    layer = next(layer for layer in backbone._flatten_layers() if isinstance(layer, keras_hub.layers.TransformerEncoder))
    inputs = tf.random.stateless_normal((2, 5, 32), seed=(3, 4))
    causal = tf.constant(np.tril(np.ones((2, 5, 5), bool)))
    stock = layer(inputs, attention_mask=causal).numpy()
    with packed_transformer_calls(backbone):
        assert np.array_equal(layer(inputs, attention_mask=causal).numpy(), stock)


def test_bfloat16_kernels_are_close_and_read_no_encoder_variable(backbone):
    inputs = padded_batch(backbone.vocabulary_size)
    stock = traced(backbone)(inputs).numpy()
    function = traced(backbone)
    with packed_transformer_calls(backbone, "bfloat16"):
        concrete = function.get_concrete_function(inputs)
    packed = concrete(inputs).numpy()
    real = inputs["padding_mask"].numpy()
    error = np.abs(packed[real] - stock[real]).max() / np.abs(stock[real]).max()
    assert 0 < error <= 0.03  # bfloat16 rounding, and not the float32 path
    assert not packed[~real].any()
    read = {id(variable) for variable in concrete.variables}
    frozen = {id(v.value) for v in backbone.weights if "transformer_layer" in v.path}  # kernels, biases, norms
    assert frozen and not read & frozen  # frozen into the graph: the export saves no float32 copy


def test_rows_stay_packed_from_layer_to_layer(backbone):
    inputs = padded_batch(backbone.vocabulary_size)
    function = traced(backbone)
    with packed_transformer_calls(backbone) as packed_layers:
        graph = function.get_concrete_function(inputs).graph
    assert packed_layers >= 2
    wheres = [op for op in graph.get_operations() if op.type == "Where"]
    assert len(wheres) == 1  # one packing for the whole stack, not one per layer


def test_unknown_kernel_dtype_and_bfloat16_without_packable_layers_are_refused(backbone):
    with pytest.raises(ValueError, match="float32"):
        with packed_transformer_calls(backbone, "float16"):
            pass
    add_adapter(backbone, PeftConfig(method="lora", targets=["query", "value"]))
    with pytest.raises(ValueError, match="merge_on_export"):
        with packed_transformer_calls(backbone, "bfloat16"):
            pass


def pooled_and_mean(backbone):
    """The backbone's [CLS] pooled output, and the mean of its last layer over real tokens."""
    def outputs(inputs):
        out = backbone(inputs, training=False)
        mask = tf.cast(inputs["padding_mask"], tf.float32)[:, :, None]
        mean = tf.reduce_sum(out["sequence_output"] * mask, 1) / tf.reduce_sum(mask, 1)
        return out["pooled_output"], mean
    return outputs


def probe_and_trace(backbone, function, inputs):
    """Layers the probe finds read at the first position only, and ``function`` traced with them."""
    probe = PackedHandoff()
    with packed_transformer_calls(backbone, handoff=probe):
        tf.function(function).get_concrete_function(inputs)
    first = probe.read_at_first_token_only()
    with packed_transformer_calls(backbone, first_token_only=first):
        concrete = tf.function(function).get_concrete_function(inputs)
    return first, concrete


def last_layer(backbone):
    return [layer for layer in backbone._flatten_layers() if isinstance(layer, keras_hub.layers.TransformerEncoder)][-1]


def test_a_last_layer_read_only_at_cls_computes_that_row_alone(backbone):
    inputs = padded_batch(backbone.vocabulary_size)
    pooled = lambda batch: backbone(batch, training=False)["pooled_output"]
    stock = tf.function(pooled)(inputs).numpy()
    first, concrete = probe_and_trace(backbone, pooled, inputs)
    assert first == {last_layer(backbone)}
    assert np.abs(concrete(inputs).numpy() - stock).max() <= 1e-5
    assert np.abs(stock).max() > 0.1
    # One query row per sequence in the last layer: a [batch, heads, 1, length] score tensor.
    scores = [op.outputs[0].shape.as_list() for op in concrete.graph.get_operations() if op.type == "BatchMatMulV2"]
    assert scores.count([3, 2, 1, 9]) == 1 and scores.count([3, 2, 9, 9]) == backbone.num_layers - 1


def test_layers_read_beyond_cls_or_handed_on_are_computed_whole(backbone):
    inputs = padded_batch(backbone.vocabulary_size)
    stock = [value.numpy() for value in tf.function(pooled_and_mean(backbone))(inputs)]
    first, concrete = probe_and_trace(backbone, pooled_and_mean(backbone), inputs)
    assert first == frozenset()  # mean pooling reads every position of the last layer
    for packed, expected in zip(concrete(inputs), stock):
        assert np.abs(packed.numpy() - expected).max() <= 1e-5
    for reads_more in (lambda out: out[:, 1, :], lambda out: out[:, :2, :], lambda out: out[:, ::2, :]):
        function = lambda batch, reads=reads_more: reads(backbone(batch, training=False)["sequence_output"])
        assert probe_and_trace(backbone, function, inputs)[0] == frozenset()
    first_only = lambda batch: backbone(batch, training=False)["sequence_output"][:, :1, :]
    assert probe_and_trace(backbone, first_only, inputs)[0] == {last_layer(backbone)}


def test_the_cls_row_alone_in_bfloat16(backbone):
    inputs = padded_batch(backbone.vocabulary_size)
    pooled = lambda batch: backbone(batch, training=False)["pooled_output"]
    stock = tf.function(pooled)(inputs).numpy()
    probe = PackedHandoff()
    with packed_transformer_calls(backbone, handoff=probe):
        tf.function(pooled).get_concrete_function(inputs)
    with packed_transformer_calls(backbone, "bfloat16", first_token_only=probe.read_at_first_token_only()):
        concrete = tf.function(pooled).get_concrete_function(inputs)
    error = np.abs(concrete(inputs).numpy() - stock).max() / np.abs(stock).max()
    assert 0 < error <= 0.03
