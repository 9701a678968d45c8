"""The einsum shape of a Dense or EinsumDense layer, split into input and output sides.

Low-rank methods factor a kernel ``W`` (any rank, e.g. ``[hidden, heads, head_dim]``
for keras-hub's attention projections) into an input side (the kernel axes
contracted with the input) and an output side (the rest). From the layer's
equation this gives the equations of ``x @ A``, ``(x A) @ B`` and ``A @ B``
for every host, with no per-layer-type code.

Example:

>>> spec = LinearSpec.of(einsum_dense_with("abc,cde->abde"))
>>> spec.input_shape(kernel), spec.output_shape(kernel)
((384,), (12, 32))
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

RANK_AXIS = "r"  # a letter that no keras / keras-hub equation uses for its own axes


@dataclass(frozen=True)
class LinearSpec:
    x: str        # input subscripts ("...i" for Dense)
    kernel: str   # kernel subscripts
    out: str      # output subscripts

    @classmethod
    def of(cls, layer: keras.layers.Layer) -> "LinearSpec":
        if isinstance(layer, keras.layers.EinsumDense):
            inputs, out = layer.equation.split("->")
            x, kernel = inputs.split(",")
        elif isinstance(layer, keras.layers.Dense):
            x, kernel, out = "...i", "io", "...o"
        else:
            raise ValueError(f"layer {layer.name} ({type(layer).__name__}) is not Dense or EinsumDense")
        spec = cls(x, kernel, out)
        if RANK_AXIS in x + kernel + out or not (out.endswith(spec.free) and kernel.endswith(spec.free)):
            raise ValueError(f"layer {layer.name}: equation {x},{kernel}->{out} is not supported "
                             f"by low-rank adapters")
        return spec

    @property
    def is_matmul(self) -> bool:
        """A Dense layer: every contraction here is a plain matmul over the last axis."""
        return self.x == "...i" and self.kernel == "io"

    @property
    def contracted(self) -> str:
        """Kernel subscripts summed with the input (the kernel's input side)."""
        return "".join(letter for letter in self.kernel if letter in self.x)

    @property
    def free(self) -> str:
        """Kernel subscripts that reach the output (the kernel's output side)."""
        return "".join(letter for letter in self.kernel if letter not in self.x)

    def input_axes(self) -> tuple[int, ...]:
        return tuple(i for i, letter in enumerate(self.kernel) if letter in self.x)

    def input_shape(self, kernel_shape) -> tuple[int, ...]:
        return tuple(int(kernel_shape[i]) for i in self.input_axes())

    def output_shape(self, kernel_shape) -> tuple[int, ...]:
        return tuple(int(d) for i, d in enumerate(kernel_shape) if i not in self.input_axes())

    @property
    def down(self) -> str:
        """``x @ A``: input to rank space."""
        kept = "".join(letter for letter in self.x if letter not in self.contracted)
        return f"{self.x},{self.contracted}{RANK_AXIS}->{kept}{RANK_AXIS}"

    @property
    def up(self) -> str:
        """``(x A) @ B``: rank space to the layer's output."""
        kept = "".join(letter for letter in self.x if letter not in self.contracted)
        return f"{kept}{RANK_AXIS},{RANK_AXIS}{self.free}->{self.out}"

    @property
    def product(self) -> str:
        """``A @ B``: the low-rank update in the kernel's own shape."""
        return f"{self.contracted}{RANK_AXIS},{RANK_AXIS}{self.free}->{self.kernel}"

    @property
    def forward(self) -> str:
        return f"{self.x},{self.kernel}->{self.out}"
