"""Serving kernels for keras-hub ``TransformerEncoder`` layers: padding removed, 2-D matmuls.

A batch of strings is padded to its longest row, and keras-hub's encoder layer
spends the same arithmetic on padding as on text; its ``EinsumDense``
projections on ``[batch, length, heads, head_dim]`` tensors also cost
transposes that plain matrix products do not. While an export is traced, each
eligible encoder layer runs this path instead, on the same weights:

- the real tokens are gathered into one ``[tokens, hidden]`` matrix, so the
  Q/K/V and output projections, the layer norms and the feed-forward block
  (about 90% of the arithmetic) never see a pad; consecutive encoder layers
  hand the packed rows straight on (`PackedHandoff`), so a stack gathers once;
- only attention is computed per sequence: Q, K and V are unpacked to
  ``[batch, length]`` for the masked softmax, and the context packed again;
- a layer whose output the export reads only at the first position (the
  [CLS] vector a pooled classification head takes) computes that row only:
  keys and values for every token, the query, attention output and
  feed-forward block for one row per sequence (a first trace with a
  `PackedHandoff` finds such layers: `PackedHandoff.read_at_first_token_only`);
- every projection is a 2-D ``MatMul`` + ``BiasAdd`` (+ activation), the form
  Grappler fuses into one kernel (`Projection`); with ``kernel_dtype="bfloat16"``
  the weights are frozen into the graph as bfloat16 constants, which oneDNN runs
  on AMX with the weights packed once.

The float32 layer's output is the stock layer's at every real token (to float
rounding, about 1e-6) and zero at the pads, which every tfft head masks out.
On MiniLM-L6 (2 CPU cores) a batch of 32 SST-2 sentences runs in 0.56-0.59x the
time and one sentence in about 0.97x (no padding to drop). In float32 the
SavedModel holds the same variables; in bfloat16 the encoder's weights are graph
constants instead. Only core TF ops either way, so TF Serving runs it unchanged.

A layer is left to its own ``call`` when anything differs from the plain
BERT-style block this path computes: a custom attention mask, attention
scores requested, training, an active PEFT adapter anywhere in the block
(LoRA-style projections, bottleneck adapters, prefixes, soft prompts; merged
LoRA is plain again), int8 weights, or attention options (gating,
sliding window, other axes).

Example:

>>> with packed_transformer_calls(model):
...     outputs = model(inputs, training=False)  # traced inside tf.function by the export
"""

from __future__ import annotations

import contextlib
import functools
from typing import Iterator

import keras
import keras_hub
import numpy as np
import tensorflow as tf

from tfft.peft.layer_tree import PeftHost

_PLAIN_ATTENTION = {"use_bias": True, "output_shape": None, "sliding_window": None, "use_gate": False}


KERNEL_DTYPES = ("float32", "bfloat16")


@contextlib.contextmanager
def packed_transformer_calls(model: keras.Model, kernel_dtype: str = "float32", first_token_only=frozenset(),
                         handoff: "PackedHandoff | None" = None) -> Iterator[int]:
    """Within the block, every eligible encoder layer of ``model`` runs the packed path; yields how many.

    ``kernel_dtype="bfloat16"`` runs the projections in bfloat16 on weights
    frozen into the graph as constants (see `Projection`). Layers in
    ``first_token_only`` compute their output at each sequence's first
    position only, zeros elsewhere: pass only what a ``handoff``'s
    `PackedHandoff.read_at_first_token_only` found tracing the same function.

    >>> probe = PackedHandoff()
    >>> with packed_transformer_calls(model, handoff=probe):
    ...     serve.get_concrete_function(*specs)  # serve calls model
    >>> with packed_transformer_calls(model, first_token_only=probe.read_at_first_token_only()):
    ...     concrete = serve.get_concrete_function(*specs)  # a new tf.function of the same code
    """
    projection = Projection(kernel_dtype)
    layers = [layer for layer in model._flatten_layers()
              if isinstance(layer, keras_hub.layers.TransformerEncoder)
              and "call" not in layer.__dict__ and is_packable(layer)]
    if projection.frozen and not layers:
        raise ValueError("bfloat16 serving kernels need plain encoder layers, and this model has none: merge "
                         "LoRA/AdaLoRA on export (peft.merge_on_export: true), and do not combine with int8")
    handoff = handoff or PackedHandoff()
    for layer in layers:
        layer.call = functools.partial(_packed_or_stock, layer, type(layer).call.__get__(layer), projection, handoff,
                                       layer in first_token_only)
    try:
        yield len(layers)
    finally:
        for layer in layers:
            del layer.call


def is_packable(layer) -> bool:
    """True if ``layer`` is a plain float32 BERT-style block the packed path computes exactly."""
    attention = getattr(layer, "_self_attention_layer", None)
    if not (_is_plain(layer, keras_hub.layers.TransformerEncoder)
            and _is_plain(attention, keras.layers.MultiHeadAttention)):
        return False
    config = attention.get_config()
    if any(config.get(key, value) != value for key, value in _PLAIN_ATTENTION.items()):
        return False
    if config.get("attention_axes") not in (None, (1,), [1]) or config.get("value_dim") not in (None, config["key_dim"]):
        return False
    projections = [attention._query_dense, attention._key_dense, attention._value_dense,
                   attention._output_dense]
    dense = [layer._feedforward_intermediate_dense, layer._feedforward_output_dense]
    norms = [layer._self_attention_layer_norm, layer._feedforward_layer_norm]
    # Bottleneck adapters live in the dropout layers' place, so those must be plain dropouts too.
    dropouts = [layer._self_attention_dropout, layer._feedforward_dropout]
    return (all(_is_plain(p, keras.layers.EinsumDense) for p in projections)
            and all(_is_plain(d, keras.layers.Dropout) for d in dropouts)
            and all(_is_plain(d, keras.layers.Dense) and d.use_bias for d in dense)
            and all(_is_plain(n, keras.layers.LayerNormalization) and _plain_norm(n) for n in norms))


def _is_plain(layer, base: type) -> bool:
    """``layer`` computes exactly what ``base`` does, in float32, with its own weights.

    A PEFT host with no adapter active (LoRA merged on export, say) still
    computes its base class; an active adapter, int8 weights or Keras' own
    LoRA do not.
    """
    if isinstance(layer, PeftHost):
        if layer.peft_module() is not None:
            return False
        kind = type(layer).__bases__[-1]
    else:
        kind = type(layer)
    return (kind is base and layer.compute_dtype == "float32"
            and getattr(layer, "quantization_mode", None) is None and not getattr(layer, "lora_enabled", False))


def _plain_norm(norm) -> bool:
    axis = norm.axis if isinstance(norm.axis, (list, tuple)) else [norm.axis]
    return norm.center and norm.scale and not norm.rms_scaling and list(axis) in ([-1], [2])


class Packing:
    """Where a padded batch's real tokens are, as 1-D gather indices both ways.

    ``pack`` turns ``[batch, length, ...]`` into ``[tokens, ...]`` and
    ``unpack`` turns it back with zeros at the pads. Both are one ``GatherV2``
    (a row copy each), several times cheaper on CPU than ``GatherNd`` and
    ``ScatterNd``.
    """

    def __init__(self, padding_mask: tf.Tensor):
        self.padding_mask = padding_mask
        self.batch_length = tf.shape(padding_mask, out_type=tf.int64)
        flat = tf.reshape(tf.cast(padding_mask, tf.bool), [-1])
        self.rows = tf.where(flat)[:, 0]  # [tokens]: flat (row * length + position) of each real token
        # Each padded slot's packed row; pads read the zero row appended after the last one,
        # or, where their values are never used, the first row (no copy of the input to append).
        row_of_slot = tf.cumsum(tf.cast(flat, tf.int64)) - 1
        self.slots = tf.where(flat, row_of_slot, tf.size(self.rows, out_type=tf.int64))
        self.slots_or_first = tf.where(flat, row_of_slot, tf.zeros_like(row_of_slot))
        self._shapes: dict[tuple, tf.Tensor] = {}

    def first_rows(self) -> tf.Tensor:
        """``[batch]``: the packed row of each sequence's first position."""
        return tf.reshape(self.slots_or_first, self.batch_length)[:, 0]

    def pack(self, padded: tf.Tensor) -> tf.Tensor:
        features = padded.shape[2:]
        if features.is_fully_defined():
            flat = tf.reshape(padded, [-1, *features.as_list()])
        else:
            flat = tf.reshape(padded, tf.concat([[-1], tf.shape(padded, out_type=tf.int64)[2:]], 0))
        return tf.gather(flat, self.rows)

    def unpack(self, packed: tf.Tensor, features: tuple[int, ...] | None = None,
               pads_unused: bool = False) -> tf.Tensor:
        """``[batch, length, *features]`` (default: ``packed``'s own feature shape).

        Zeros at the pads, or (``pads_unused``) a copy of some real row there.
        """
        if pads_unused:
            padded = tf.gather(packed, self.slots_or_first)
        else:
            padded = tf.gather(tf.concat([packed, tf.zeros_like(packed[:1])], 0), self.slots)
        return tf.reshape(padded, self._padded_shape(features or tuple(packed.shape[1:]), packed))

    def _padded_shape(self, features: tuple, packed: tf.Tensor) -> tf.Tensor:
        if None in features:
            return tf.concat([self.batch_length, tf.shape(packed, out_type=tf.int64)[1:]], 0)
        # Built once per feature shape and shared by every layer of the stack.
        if features not in self._shapes:
            self._shapes[features] = tf.concat([self.batch_length, tf.constant(features, tf.int64)], 0)
        return self._shapes[features]


class PackedHandoff:
    """Lets one packed layer hand its packed rows straight to the next.

    Each layer returns the padded ``[batch, length, hidden]`` tensor its
    caller expects; when that very tensor is the next packed layer's input,
    under the same padding mask, the next layer takes the packed rows instead
    of gathering them again, and the unused unpacking is pruned from the graph.
    """

    def __init__(self):
        self._by_output: dict[int, tuple] = {}
        self._outputs: list[tuple] = []  # (layer, padded output) of every packed call
        self._handed_on: set[int] = set()

    def rows(self, inputs, padding_mask) -> tuple[tf.Tensor, Packing]:
        """``inputs`` as packed rows, with their `Packing`: from the previous layer, or gathered now."""
        entry = self._by_output.get(id(inputs))
        if entry is not None and entry[0] is inputs and entry[1] is padding_mask:
            self._handed_on.add(id(inputs))
            return entry[2], entry[3]
        if padding_mask is None:
            padding_mask = tf.ones(tf.shape(inputs)[:2], tf.bool)
        packing = Packing(padding_mask)
        return packing.pack(inputs), packing

    def output(self, layer, rows, packing: Packing, padding_mask) -> tf.Tensor:
        """The padded layer output, remembered so that the next layer can skip the round trip."""
        outputs = packing.unpack(rows)
        self._by_output[id(outputs)] = (outputs, padding_mask, rows, packing)
        self._outputs.append((layer, outputs))
        return outputs

    def read_at_first_token_only(self) -> frozenset:
        """The layers whose padded output no later layer took and the graph reads at position 0 only.

        A layer qualifies when every op that reads its output is a constant
        slice of position 0 (``sequence_output[:, 0, :]`` under keras-hub's
        BERT pooler); anything else that reads it (mean pooling, token heads)
        keeps the layer whole.
        """
        return frozenset(layer for layer, outputs in self._outputs
                         if id(outputs) not in self._handed_on and _read_at_first_position_only(outputs))


def _read_at_first_position_only(padded: tf.Tensor) -> bool:
    readers = padded.consumers()
    return bool(readers) and all(_slices_first_position(op) for op in readers)


def _slices_first_position(op) -> bool:
    """``op`` is a StridedSlice with constant bounds that reads position 0 of axis 1 and nothing after it."""
    if op.type != "StridedSlice" or op.get_attr("ellipsis_mask") or op.get_attr("new_axis_mask"):
        return False
    begin, end, strides = (tf.get_static_value(tensor) for tensor in op.inputs[1:4])
    if begin is None or end is None or strides is None or len(begin) < 2:
        return False
    whole_from, whole_to = op.get_attr("begin_mask") & 2, op.get_attr("end_mask") & 2
    if op.get_attr("shrink_axis_mask") & 2:  # x[:, i]: reads index begin[1] alone
        return begin[1] == 0 and not whole_from
    return (whole_from or begin[1] == 0) and not whole_to and end[1] == 1 and strides[1] == 1


def _first_position_output(rows: tf.Tensor, packing: Packing) -> tf.Tensor:
    """``[batch, length, hidden]`` with ``rows`` (one per sequence) at position 0 and zeros after."""
    padded = rows[:, None, :]
    return tf.pad(padded, [[0, 0], [0, packing.batch_length[1] - 1], [0, 0]])


def _packed_or_stock(layer, stock_call, projection, handoff, first_token_only, inputs, padding_mask=None,
                     attention_mask=None, training=None, return_attention_scores=False):
    if attention_mask is not None or return_attention_scores or training:
        return stock_call(inputs, padding_mask=padding_mask, attention_mask=attention_mask,
                          training=training, return_attention_scores=return_attention_scores)
    rows, packing = handoff.rows(inputs, padding_mask)
    if first_token_only:
        return _first_position_output(_packed_rows(layer, rows, packing, projection, packing.first_rows()), packing)
    return handoff.output(layer, _packed_rows(layer, rows, packing, projection), packing, padding_mask)


def _packed_rows(layer, x, packing: Packing, projection, queries: tf.Tensor | None = None):
    """The encoder block on packed ``[tokens, hidden]`` rows; only at the rows ``queries`` lists if given."""
    norm_first = layer.normalize_first
    attention_norm, feedforward_norm = layer._self_attention_layer_norm, layer._feedforward_layer_norm

    h = projection.layer_norm(attention_norm, x) if norm_first else x
    residual = x if queries is None else tf.gather(x, queries)
    x = residual + _packed_attention(layer._self_attention_layer, h, packing, projection, queries)
    if not norm_first:
        x = projection.layer_norm(attention_norm, x)

    h = projection.layer_norm(feedforward_norm, x) if norm_first else x
    x = x + projection(layer._feedforward_output_dense,
                       projection(layer._feedforward_intermediate_dense, h, keep_dtype=True))
    if not norm_first:
        x = projection.layer_norm(feedforward_norm, x)
    return x


def _packed_attention(attention, tokens, packing: Packing, projection, queries: tf.Tensor | None = None):
    """Multi-head self-attention of packed ``[tokens, hidden]`` rows; returns packed rows.

    With ``queries`` (one packed row per sequence), only those rows attend and
    the result has one row per sequence.
    """
    heads, head_dim = attention.num_heads, attention.key_dim
    attending = [attention._query_dense] if queries is None else []
    # Keys and values at pads are masked out of the softmax, and queries at pads are never packed back.
    projected = packing.unpack(projection([*attending, attention._key_dense, attention._value_dense], tokens),
                               (len(attending) + 2, heads, head_dim), pads_unused=True)
    per_head = tf.unstack(_transpose(projected, [2, 0, 3, 1, 4]))  # each [batch, heads, length, dim]
    if queries is None:
        query, key, value = per_head
    else:
        key, value = per_head
        query = tf.reshape(projection(attention._query_dense, tf.gather(tokens, queries)), [-1, heads, 1, head_dim])
    scores = tf.matmul(query * (1.0 / head_dim ** 0.5), key, transpose_b=True)
    # Keras' masked softmax: -1e9 added at padded keys, as the stock layer does.
    scores += (1.0 - tf.cast(packing.padding_mask, scores.dtype))[:, None, None, :] * -1e9
    context = tf.matmul(tf.nn.softmax(scores), value)
    if queries is None:
        context = packing.pack(_transpose(context, [0, 2, 1, 3]))  # [tokens, heads, dim]
    return projection(attention._output_dense, tf.reshape(context, [-1, heads * head_dim]))


def _transpose(tensor: tf.Tensor, perm: list[int]) -> tf.Tensor:
    """``tf.transpose`` of a float32 tensor, done on its bits viewed as int32 (other dtypes: plain).

    TensorFlow hands float transposes to oneDNN, whose per-call set-up costs
    about 55 µs for a batch-1 attention tensor here; TensorFlow's own kernel,
    which int32 keeps, moves the same bytes in about 14 µs. At batch 32 the two
    take the same time. ``bitcast`` is a view, not a copy.
    """
    if tensor.dtype.size != 4:
        return tf.transpose(tensor, perm)
    return tf.bitcast(tf.transpose(tf.bitcast(tensor, tf.int32), perm), tensor.dtype)


class Projection:
    """Dense / EinsumDense layers on packed ``[tokens, features]`` rows, as 2-D MatMul + BiasAdd + activation.

    In float32 it reads the layers' variables, so the export computes what
    the trained model does. In bfloat16 the kernels and biases are written
    into the graph as bfloat16 constants: TensorFlow's oneDNN rewrite then
    fuses MatMul + BiasAdd (+ GELU) into one kernel that packs the weights
    into the AMX tile layout once and caches them, which a variable (read
    anew every call) never gets; layers that share an input (Q, K, V) become
    one product. Inputs are rounded to bfloat16, products sum in float32, and
    the residual stream, layer norms and attention stay float32; the layer
    norms' scales and offsets become float32 constants too, so a call reads no
    encoder variable at all.
    """

    def __init__(self, kernel_dtype: str = "float32"):
        if kernel_dtype not in KERNEL_DTYPES:
            raise ValueError(f"serving kernels must be one of {list(KERNEL_DTYPES)}, got '{kernel_dtype}'")
        self.frozen = kernel_dtype != "float32"
        self.dtype = tf.as_dtype(kernel_dtype)

    def __call__(self, layers, tokens, keep_dtype: bool = False):
        """Applies one layer, or several side by side (outputs concatenated), to ``tokens``.

        ``keep_dtype`` leaves a bfloat16 result in bfloat16 for a projection that feeds another.
        """
        layers = layers if isinstance(layers, (list, tuple)) else [layers]
        features = tokens.shape[-1]
        if not self.frozen:
            outputs = [layer.activation(tf.nn.bias_add(tf.matmul(tokens, tf.reshape(layer.kernel, [features, -1])),
                                                       tf.reshape(layer.bias, [-1]))) for layer in layers]
            return outputs[0] if len(outputs) == 1 else tf.concat(outputs, axis=1)
        if len({layer.activation for layer in layers}) != 1:
            raise ValueError("layers fused into one product must share their activation")
        kernel = self._constant([layer.kernel for layer in layers], [features, -1], axis=1)
        bias = self._constant([layer.bias for layer in layers], [-1], axis=0)
        outputs = layers[0].activation(tf.nn.bias_add(tf.matmul(tf.cast(tokens, self.dtype), kernel), bias))
        return outputs if keep_dtype else tf.cast(outputs, tf.float32)

    def layer_norm(self, norm, tokens):
        """``norm`` on ``[tokens, features]`` rows; frozen, its scale and offset are float32 constants."""
        beta, gamma = (tf.constant(_read_untracked(v)) if self.frozen else v for v in (norm.beta, norm.gamma))
        mean, variance = tf.nn.moments(tokens, axes=[-1], keepdims=True)
        return tf.nn.batch_normalization(tokens, mean, variance, beta, gamma, norm.epsilon)

    def _constant(self, variables, shape, axis: int) -> tf.Tensor:
        values = [_read_untracked(variable).reshape(shape) for variable in variables]
        return tf.constant(np.concatenate(values, axis=axis).astype(self.dtype.as_numpy_dtype))


def _read_untracked(variable) -> np.ndarray:
    """The variable's value, read eagerly without the traced function listing the variable as its own.

    A plain read inside a trace would, and the export would then save the
    float32 copy beside the bfloat16 constant.
    """
    handle = variable.value.handle
    with tf.init_scope():
        return tf.raw_ops.ReadVariableOp(resource=handle, dtype=variable.value.dtype).numpy()
