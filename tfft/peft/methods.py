"""The PEFT methods: where each one puts its modules in a backbone.

A method is a function ``(backbone, config, adapter, switch) -> None`` that turns
the layers it needs into hosts (`make_host`) and attaches one module per host
under the adapter's name (`attach`). Freezing is shared (`tfft.peft.setup`), so a
method only says what it adds. Targets are matched by layer name, so the same
config works for BERT- and GPT-style keras-hub backbones.

Example:

>>> METHODS["lora"](backbone, PeftConfig(method="lora"), "default", switch)
"""

from __future__ import annotations

from typing import Callable

import keras

from tfft.config import PeftConfig
from tfft.peft.bottleneck import PLACES, BottleneckAdapter, BottleneckHost
from tfft.peft.decoder_prompt import DecoderPromptHost, DecoderPromptSlot, PromptKeysValues, PromptState
from tfft.peft.layer_tree import AdapterSwitch, PeftHost, attach, make_host, walk
from tfft.peft.linear_spec import LinearSpec
from tfft.peft.low_rank import LowRankHost, LowRankUpdate
from tfft.peft.prefix import AttentionPrefix, PrefixHost
from tfft.peft.soft_prompt import SoftPromptHost, SoftPromptSlot

ORTHOGONALITY_WEIGHT = 0.1  # AdaLoRA's penalty, shared across its matrices


def host_layers(backbone: keras.Model) -> list[tuple[str, keras.layers.Layer]]:
    """The backbone's own layers with their paths (PEFT modules excluded)."""
    modules = {id(m) for _, layer in walk(backbone) if isinstance(layer, PeftHost)
               for m in layer._peft_modules.values()}
    found, skipped = [], set()
    for path, layer in walk(backbone):
        if id(layer) in modules or any(path.startswith(p + "/") for p in skipped):
            skipped.add(path)
            continue
        found.append((path, layer))
    return found


def transformer_layers(backbone: keras.Model) -> list:
    layers = list(getattr(backbone, "transformer_layers", []))
    if not layers:
        raise ValueError(f"PEFT needs a keras-hub backbone with transformer_layers; "
                         f"{type(backbone).__name__} has none")
    return layers


def _low_rank(kind: str):
    def inject(backbone, config: PeftConfig, adapter: str, switch: AdapterSwitch) -> None:
        targets = [(path, layer) for path, layer in host_layers(backbone)
                   if layer.name in config.targets and isinstance(layer, keras.layers.Dense | keras.layers.EinsumDense)]
        if not targets:
            names = sorted({l.name for _, l in host_layers(backbone)
                            if isinstance(l, keras.layers.Dense | keras.layers.EinsumDense)})
            raise ValueError(f"peft.targets {config.targets} match no Dense/EinsumDense layer of "
                             f"{type(backbone).__name__}; its names are {names}")
        rank = config.rank
        penalty = ORTHOGONALITY_WEIGHT / len(targets) if kind == "adalora" else 0.0
        for _, layer in targets:
            module = LowRankUpdate(layer.kernel.shape, LinearSpec.of(layer), rank, config.alpha,
                                   config.dropout, kind, penalty, name=f"{kind}_{adapter}",
                                   dtype=layer.dtype_policy)
            module.start_from(layer.kernel)
            make_host(layer, LowRankHost, switch)
            attach(layer, adapter, module)
    return inject


def _bottleneck(placement: str):
    def inject(backbone, config: PeftConfig, adapter: str, switch: AdapterSwitch) -> None:
        for encoder_layer in transformer_layers(backbone):
            width = encoder_layer._self_attention_layer._output_dense.kernel.shape[-1]
            for attribute in PLACES[placement]:
                dropout = getattr(encoder_layer, f"_{attribute}")
                make_host(dropout, BottleneckHost, switch)
                attach(dropout, adapter, BottleneckAdapter(width, config.bottleneck, name=f"adapter_{adapter}",
                                                           dtype=dropout.dtype_policy))
    return inject


def _prefix(backbone, config: PeftConfig, adapter: str, switch: AdapterSwitch) -> None:
    for encoder_layer in transformer_layers(backbone):
        attention = encoder_layer._self_attention_layer
        make_host(attention, PrefixHost, switch)
        attach(attention, adapter, AttentionPrefix(config.virtual_tokens, attention._num_heads,
                                                   attention._key_dim, name=f"prefix_{adapter}",
                                                   dtype=attention.dtype_policy))


def _prompt(backbone, config: PeftConfig, adapter: str, switch: AdapterSwitch) -> None:
    import keras_hub

    layers = transformer_layers(backbone)
    width = layers[0]._self_attention_layer._output_dense.kernel.shape[-1]
    if all(isinstance(layer, keras_hub.layers.TransformerEncoder) for layer in layers):
        for index, layer in enumerate(layers):
            make_host(layer, SoftPromptHost, switch)
            attach(layer, adapter, SoftPromptSlot(config.virtual_tokens, width, first=index == 0,
                                                  last=index == len(layers) - 1, name=f"prompt_{adapter}",
                                                  dtype=layer.dtype_policy))
        return
    if not all(isinstance(layer, keras_hub.layers.TransformerDecoder) for layer in layers):
        raise ValueError(f"peft.method=prompt needs keras-hub TransformerEncoder or TransformerDecoder "
                         f"layers; {type(backbone).__name__} has {type(layers[0]).__name__}")
    state = PromptState()
    for index, layer in enumerate(layers):
        attention = layer._self_attention_layer
        make_host(layer, DecoderPromptHost, switch)
        attach(layer, adapter, DecoderPromptSlot(config.virtual_tokens, width, index == 0, state,
                                                 name=f"prompt_{adapter}", dtype=layer.dtype_policy))
        make_host(attention, PrefixHost, switch)
        attach(attention, adapter, PromptKeysValues(name=f"prompt_{adapter}", dtype=attention.dtype_policy))


def _nothing(backbone, config, adapter, switch) -> None:
    """BitFit adds no modules: it only leaves the backbone's biases trainable."""


METHODS: dict[str, Callable] = {
    "lora": _low_rank("lora"),
    "dora": _low_rank("dora"),
    "adalora": _low_rank("adalora"),
    "houlsby": _bottleneck("houlsby"),
    "pfeiffer": _bottleneck("pfeiffer"),
    "prefix": _prefix,
    "prompt": _prompt,
    "bitfit": _nothing,
}
BIAS_NAMES = ("bias", "beta")  # BitFit trains every bias term, layer-norm shifts included
