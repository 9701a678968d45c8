"""Low-rank updates of a Dense / EinsumDense kernel: LoRA, DoRA and AdaLoRA.

keras-hub's ``backbone.enable_lora(rank)`` has no alpha, no dropout, no DoRA,
one adapter per backbone and saves by layer index; these modules add all of
that and run on any Dense or EinsumDense (see `LinearSpec`).

- LoRA (Hu et al. 2021): ``y = x W + (alpha / r) · dropout(x) A B``, ``B = 0`` at the start.
- DoRA (Liu et al. 2024): ``W' = m · (W + s A B) / ‖W + s A B‖``, the norm taken per
  output unit over the input side and treated as a constant in the backward pass, as
  the paper does to save memory; ``m`` starts at ``‖W‖`` so training starts at ``W``.
- Without dropout the update runs as one matmul with ``W + s A B`` (keras' own LoRA
  does the same); with ``peft.dropout`` it runs on the activations, as dropout needs.
- AdaLoRA (Zhang et al. 2023): ``W + s · P diag(λ ⊙ mask) Q``; `tfft.peft.adalora`
  prunes ``mask`` by importance while training, and an orthogonality penalty keeps
  ``P`` and ``Q`` close to singular vectors.

Example:

>>> module = LowRankUpdate(host.kernel.shape, LinearSpec.of(host), rank=8, alpha=16)
>>> merged_kernel = module.merged_kernel(host.kernel)
"""

from __future__ import annotations

import dataclasses
import math

import keras
from keras import ops

from tfft.peft.layer_tree import PeftHost
from tfft.peft.linear_spec import LinearSpec

KINDS = ("lora", "dora", "adalora")
RANK_MASK = "rank_mask"


class LowRankUpdate(keras.layers.Layer):
    """The trained weights of one low-rank update of one kernel."""

    def __init__(self, kernel_shape, spec: LinearSpec, rank: int, alpha: float, dropout: float = 0.0,
                 kind: str = "lora", orthogonality_weight: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if kind not in KINDS:
            raise ValueError(f"low-rank kind must be one of {KINDS}, got '{kind}'")
        if rank < 1:
            raise ValueError(f"peft.rank must be at least 1, got {rank}")
        if kind == "dora" and dropout:
            raise ValueError("peft.dropout is not supported with dora (it runs on the merged kernel); set it to 0")
        self.spec, self.kind, self.rank = spec, kind, int(rank)
        self.kernel_shape, self.alpha, self.dropout = tuple(kernel_shape), float(alpha), float(dropout)
        self.scale = float(alpha) / self.rank
        self.orthogonality_weight = orthogonality_weight
        self.input_dropout = keras.layers.Dropout(dropout) if dropout else None
        in_shape, out_shape = spec.input_shape(kernel_shape), spec.output_shape(kernel_shape)
        fan_in = math.prod(in_shape)
        a_init = (keras.initializers.HeUniform() if kind != "adalora"
                  else keras.initializers.RandomNormal(stddev=0.02))
        self.a = self.add_weight(name="a", shape=(*in_shape, self.rank), initializer=_fan_in(a_init, fan_in))
        b_init = "zeros" if kind != "adalora" else keras.initializers.RandomNormal(stddev=0.02)
        self.b = self.add_weight(name="b", shape=(self.rank, *out_shape), initializer=b_init)
        if kind == "adalora":
            # λ starts at zero so training starts at W, like B = 0 in LoRA.
            self.singular_values = self.add_weight(name="singular_values", shape=(self.rank,),
                                                   initializer="zeros")
            self.rank_mask = self.add_weight(name=RANK_MASK, shape=(self.rank,), initializer="ones",
                                             trainable=False)
        if kind == "dora":
            self.magnitude = self.add_weight(name="magnitude", shape=out_shape, initializer="ones")
        self.built = True

    def get_config(self) -> dict:
        return {**super().get_config(), "kernel_shape": list(self.kernel_shape),
                "spec": dataclasses.asdict(self.spec),
                "rank": self.rank, "alpha": self.alpha, "dropout": self.dropout, "kind": self.kind,
                "orthogonality_weight": self.orthogonality_weight}

    @classmethod
    def from_config(cls, config: dict) -> "LowRankUpdate":
        return cls(**{**config, "spec": LinearSpec(**config["spec"])})

    def start_from(self, kernel) -> None:
        """DoRA: the magnitude starts at the frozen kernel's column norms."""
        if self.kind == "dora":
            self.magnitude.assign(self._column_norm(ops.convert_to_tensor(kernel)))

    # --- maths --------------------------------------------------------------
    def _rank_weights(self):
        return self.singular_values * self.rank_mask if self.kind == "adalora" else None

    def delta_kernel(self):
        """``s · A B`` (AdaLoRA: ``s · P diag(λ) Q``) in the kernel's shape."""
        a = self.a
        weights = self._rank_weights()
        if weights is not None:
            a = a * weights
        return ops.einsum(self.spec.product, a, self.b) * self.scale

    def _column_norm(self, kernel):
        return ops.sqrt(ops.sum(ops.square(kernel), axis=self.spec.input_axes()))

    def merged_kernel(self, kernel):
        """The kernel that computes what host + update compute (for merged exports)."""
        merged = ops.convert_to_tensor(kernel) + ops.cast(self.delta_kernel(), kernel.dtype)
        if self.kind == "dora":
            merged = merged * (self.magnitude / self._column_norm(merged))
        return merged

    def output(self, host: keras.layers.Layer, inputs, training=None):
        """What ``host`` returns with this update applied (bias and activation included)."""
        if self.input_dropout is not None:  # never for DoRA (refused in __init__)
            y = self._through_low_rank_path(host.kernel, inputs, training)
        else:
            y = self._contract(self.spec.forward, inputs, self._effective_kernel(host.kernel))
        if self.kind == "adalora" and training and self.orthogonality_weight:
            host.add_loss(self.orthogonality_weight * self.orthogonality_penalty())
        if host.bias is not None:
            y = y + host.bias
        return host.activation(y) if host.activation is not None else y

    def _effective_kernel(self, kernel):
        # One matmul with W + sAB, as keras' own enable_lora does: the activations see the
        # host's usual op (same shapes, same fusions), and the product AB has fixed shapes,
        # which keeps the per-shape kernel caches of a CPU backend from growing per batch length.
        kernel = kernel + ops.cast(self.delta_kernel(), kernel.dtype)
        if self.kind == "dora":  # the norm is a constant in the backward pass, as in the paper
            kernel = kernel * ops.cast(self.magnitude / ops.stop_gradient(self._column_norm(kernel)),
                                       kernel.dtype)
        return kernel

    def _through_low_rank_path(self, kernel, inputs, training):
        """``x W + s · dropout(x) A B``: LoRA dropout needs the update on the activations."""
        y = self._contract(self.spec.forward, inputs, kernel)
        low = self._contract(self.spec.down, self.input_dropout(inputs, training=training), self.a)
        weights = self._rank_weights()
        if weights is not None:
            low = low * ops.cast(weights, low.dtype)
        return y + self._contract(self.spec.up, low, self.b) * self.scale

    def _contract(self, equation: str, x, y):
        # Dense layers multiply as Dense does (matmul): cheaper than a general einsum.
        return ops.matmul(x, y) if self.spec.is_matmul else ops.einsum(equation, x, y)

    def orthogonality_penalty(self):
        """``‖PᵀP − I‖² + ‖QQᵀ − I‖²`` (float32)."""
        p = ops.reshape(ops.cast(self.a, "float32"), (-1, self.rank))
        q = ops.reshape(ops.cast(self.b, "float32"), (self.rank, -1))
        eye = ops.eye(self.rank)
        return (ops.sum(ops.square(ops.matmul(ops.transpose(p), p) - eye))
                + ops.sum(ops.square(ops.matmul(q, ops.transpose(q)) - eye)))


def _fan_in(initializer, fan_in: int):
    """He-uniform over the real fan-in, whatever shape the input side has."""
    if not isinstance(initializer, keras.initializers.HeUniform):
        return initializer
    limit = math.sqrt(6.0 / fan_in)
    return keras.initializers.RandomUniform(-limit, limit)


class LowRankHost(PeftHost):
    """Dense / EinsumDense whose output includes the active low-rank update."""

    def call(self, inputs, training=None):
        module = self.peft_module()
        if module is None:
            return super().call(inputs, training=training)
        return module.output(self, inputs, training=training)
