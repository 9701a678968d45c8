"""Adapters on one backbone: add them, pick the active one, freeze around it, merge it.

A backbone can carry several named adapters (one per task); one is active at a
time, and every host layer computes with the active adapter's module. Adding an
adapter freezes the backbone's own variables (and other adapters') at the
variable level, so the host layers and their modules stay trainable.

Example:

>>> add_adapter(backbone, PeftConfig(method="lora", rank=8), name="sst2")
>>> add_adapter(backbone, PeftConfig(method="lora", rank=8), name="ner")
>>> with using_adapter(backbone, "sst2"):
...     sentiment = sst2_model(inputs)
>>> adapter_variables(backbone, "ner")   # {"transformer_layer_0/.../query/a": <Variable>, ...}
"""

from __future__ import annotations

import contextlib
import math

import keras

from tfft.config import PeftConfig
from tfft.peft.layer_tree import AdapterSwitch, PeftHost, walk
from tfft.peft.low_rank import RANK_MASK, LowRankHost
from tfft.peft.methods import BIAS_NAMES, METHODS, host_layers

SWITCH_ATTRIBUTE = "_tfft_adapter_switch"
NO_PEFT = "none"


def is_enabled(config: PeftConfig) -> bool:
    return config.method != NO_PEFT


def switch_of(backbone: keras.Model) -> AdapterSwitch:
    switch = getattr(backbone, SWITCH_ATTRIBUTE, None)
    if switch is None:
        switch = AdapterSwitch()
        object.__setattr__(backbone, SWITCH_ATTRIBUTE, switch)
    return switch


def add_adapter(backbone: keras.Model, config: PeftConfig, name: str = "default") -> None:
    """Adds adapter ``name`` of ``config.method``, makes it active and the only thing that trains."""
    METHODS[config.method](backbone, config, name, switch_of(backbone))
    switch_of(backbone).active = name
    freeze_for(backbone, config, name)


def _check_adapter(backbone: keras.Model, name: str | None) -> None:
    if name is not None and name not in adapter_names(backbone):
        raise KeyError(f"no adapter named '{name}'; this backbone has {adapter_names(backbone)}")


def activate(backbone: keras.Model, name: str | None) -> None:
    """Makes ``name`` the adapter every call uses (None: the plain backbone)."""
    _check_adapter(backbone, name)
    switch_of(backbone).active = name


@contextlib.contextmanager
def using_adapter(backbone: keras.Model, name: str | None):
    """Runs (or traces) the enclosed calls with adapter ``name`` active."""
    _check_adapter(backbone, name)
    with switch_of(backbone).using(name):
        yield


def adapter_names(backbone: keras.Model) -> list[str]:
    names = {n for _, layer in walk(backbone) if isinstance(layer, PeftHost) for n in layer._peft_modules}
    return sorted(names)


def _named_variables(layer: keras.layers.Layer, prefix: str) -> dict[str, keras.Variable]:
    found = {f"{prefix}/{v.name}": v for v in [*layer._trainable_variables, *layer._non_trainable_variables]}
    for sub in layer._layers:
        found.update(_named_variables(sub, f"{prefix}/{sub.name}"))
    return found


def adapter_variables(backbone: keras.Model, name: str) -> dict[str, keras.Variable]:
    """Adapter ``name``'s variables keyed by host path (no layer indices, no adapter name)."""
    found: dict[str, keras.Variable] = {}
    for path, layer in host_layers(backbone):
        if isinstance(layer, PeftHost) and name in layer._peft_modules:
            found.update(_named_variables(layer._peft_modules[name], f"{path}/peft"))
    return found


def freeze_for(backbone: keras.Model, config: PeftConfig, name: str) -> None:
    """Only adapter ``name`` (BitFit: the biases) and ``config.train_also`` layers train."""
    train_also = set(config.train_also)
    for path, layer in host_layers(backbone):
        keep = any(part in train_also for part in path.split("/"))  # the layer or a parent
        for variable in [*layer._trainable_variables, *layer._non_trainable_variables]:
            variable.trainable = keep or (config.method == "bitfit" and variable.name in BIAS_NAMES)
    for adapter in adapter_names(backbone):
        for variable in adapter_variables(backbone, adapter).values():
            if variable.name != RANK_MASK:  # AdaLoRA's mask is set by its allocator, never trained
                variable.trainable = adapter == name
    _check_known_layers(backbone, train_also)


def _check_known_layers(backbone, train_also: set[str]) -> None:
    names = {part for path, _ in host_layers(backbone) for part in path.split("/")}
    unknown = sorted(train_also - names)
    if unknown:
        raise ValueError(f"peft.train_also names unknown layer(s) {unknown}; "
                         f"top-level layers are {sorted(l.name for l in backbone.layers)}")


def merge_active(backbone: keras.Model) -> int:
    """Folds the active adapter's low-rank updates into their kernels; returns how many.

    Afterwards the backbone runs with no adapter active, so serving pays no extra
    matmuls. Other methods add computation that cannot be folded; they stay active.
    """
    name = switch_of(backbone).active
    hosts = [layer for _, layer in host_layers(backbone)
             if isinstance(layer, LowRankHost) and name in layer._peft_modules]
    for layer in hosts:
        layer.kernel.assign(layer._peft_modules[name].merged_kernel(layer.kernel))
    if hosts:
        switch_of(backbone).active = None
    return len(hosts)


def trainable_summary(model: keras.Model) -> dict[str, float]:
    trainable = sum(math.prod(v.shape) for v in model.trainable_weights)
    total = sum(math.prod(v.shape) for v in model.weights if v.name != RANK_MASK)
    return {"trainable_parameters": trainable, "total_parameters": total,
            "trainable_percent": round(100.0 * trainable / max(total, 1), 3)}
