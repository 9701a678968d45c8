"""Post-training quantization of a backbone for export: int8 weights, or bfloat16 serving kernels.

``bfloat16`` keeps the trained weights and serves the encoder's projections
in bfloat16 (see `tfft.export.packed_transformer.Projection`): on CPUs with AMX
or AVX512_BF16 that is the fastest export, and the SavedModel is smaller.

Keras' own ``quantize("int8")`` (per-channel int8 kernels and embedding tables
with float scales, activations quantized on the fly) is applied to every
Dense, EinsumDense and Embedding layer of the backbone. The task head stays in
float32: it is tiny and it is where rounding would cost the most accuracy.

``keras.Model.quantize`` skips layers that own sublayers, which is what a
PEFT host is; after LoRA/AdaLoRA updates are merged into the kernels such a
layer is a plain linear layer again, so it is quantized here as well.

Example:

>>> trained = load_trained_model(Path("runs/sst2"), for_export=True)
>>> quantize_backbone(trained.backbone)
37
>>> prepare_for_export(trained.backbone, "bfloat16")
'bfloat16'
"""

from __future__ import annotations

import warnings

import keras

from tfft.config import QUANTIZATION_MODES
from tfft.hardware import cpu_runs_bfloat16
from tfft.peft.adapter_set import switch_of
from tfft.peft.layer_tree import PeftHost

QUANTIZABLE = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Embedding)


def prepare_for_export(backbone: keras.Model, mode: str | None) -> str:
    """Readies ``backbone`` for an export in ``mode``; returns the serving kernel dtype to trace with.

    ``int8`` quantizes the weights now; ``bfloat16`` is applied while the
    export is traced (`tfft.export.packed_transformer.Projection`).
    """
    if mode not in (None, *QUANTIZATION_MODES):
        raise ValueError(f"quantization '{mode}' is not supported; choose one of {list(QUANTIZATION_MODES)}")
    if mode == "bfloat16":
        _check_no_active_adapter(backbone)
        _warn_without_bfloat16_hardware()
        return "bfloat16"
    if mode:
        quantize_backbone(backbone, mode)
    return "float32"


def quantize_backbone(backbone: keras.Model, mode: str = "int8") -> int:
    """Quantizes the backbone's linear and embedding weights to int8 in place; returns how many layers."""
    if mode != "int8":
        raise ValueError(f"weight quantization '{mode}' is not supported; only int8 rewrites the weights")
    _check_no_active_adapter(backbone)
    count = 0
    for layer in backbone._flatten_layers(include_self=False):
        if isinstance(layer, QUANTIZABLE) and layer.quantization_mode is None:
            # A host's class is a subclass of Dense made by tfft.peft, which Keras' exact type check refuses.
            layer.quantize(mode, type_check=not isinstance(layer, PeftHost))
            count += 1
    return count


def _check_no_active_adapter(backbone: keras.Model) -> None:
    # A quantized layer computes through Keras' int8 path, which would bypass an adapter still in use.
    hosts = [layer for layer in backbone._flatten_layers() if isinstance(layer, PeftHost)]
    if hosts and switch_of(backbone).active is not None:
        raise ValueError(
            f"cannot quantize: adapter '{switch_of(backbone).active}' is still active on "
            f"{len(hosts)} layer(s). Only full fine-tunes and merged LoRA/AdaLoRA runs "
            f"(peft.merge_on_export: true) can be exported as int8 or bfloat16")


def _warn_without_bfloat16_hardware() -> None:
    # Exporting on one machine for another is normal, so this warns and goes on.
    if cpu_runs_bfloat16() is False:
        warnings.warn(
            "this CPU has neither AMX-BF16 nor AVX512_BF16: a bfloat16 export is emulated here and runs slower "
            "than float32. Serve it on a CPU that has one of them (lscpu | grep -o 'amx_bf16\\|avx512_bf16'), or "
            "export without --quantize bfloat16", stacklevel=3)
