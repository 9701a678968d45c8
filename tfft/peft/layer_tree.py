"""Find a backbone's sublayers by path name and give them PEFT behaviour in place.

Paths are the chain of layer names (``transformer_layer_0/self_attention_layer/query``),
the same prefix Keras puts on variable paths, so they survive a rebuild of the
backbone from its config and never depend on layer order.

`make_host` turns a built layer into a PEFT host without rebuilding the
functional graph: the instance gets a subclass of its own class that mixes in
the method's ``call`` (its weights, names and paths stay as they were), and a
per-adapter dict of method modules, one of which is active at a time.

Example:

>>> for path, layer in walk(backbone):
...     print(path, type(layer).__name__)
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import keras

_HOST_CLASSES: dict[tuple[type, type], type] = {}


def walk(layer: keras.layers.Layer, prefix: str = "") -> Iterator[tuple[str, keras.layers.Layer]]:
    """Every sublayer of ``layer`` with its path, parents before children."""
    for sub in layer._layers:
        path = f"{prefix}/{sub.name}" if prefix else sub.name
        yield path, sub
        yield from walk(sub, path)


class AdapterSwitch:
    """Which adapter every host of one backbone uses now (None: the plain backbone)."""

    def __init__(self):
        self.active: str | None = None

    @contextlib.contextmanager
    def using(self, name: str | None):
        previous, self.active = self.active, name
        try:
            yield
        finally:
            self.active = previous


class PeftHost:
    """Mixin of every host layer: holds one module per adapter name."""

    def peft_module(self):
        """The active adapter's module on this layer, or None."""
        return self._peft_modules.get(self._peft_switch.active) if self._peft_switch.active else None


@contextlib.contextmanager
def _unlocked(layer: keras.layers.Layer):
    # A built Keras layer refuses new sublayers; PEFT adds them on purpose.
    layer._tracker.unlock()
    try:
        yield
    finally:
        layer._tracker.lock()


def make_host(layer: keras.layers.Layer, mixin: type, switch: AdapterSwitch) -> None:
    """Gives ``layer`` the ``mixin``'s behaviour (idempotent)."""
    if isinstance(layer, PeftHost):
        if not isinstance(layer, mixin):
            raise ValueError(f"layer {layer.name} already hosts {type(layer).__name__}; "
                             f"one PEFT method per layer")
        return
    base = type(layer)
    key = (mixin, base)
    if key not in _HOST_CLASSES:
        _HOST_CLASSES[key] = type(f"{mixin.__name__}{base.__name__}", (mixin, base), {})
    layer.__class__ = _HOST_CLASSES[key]
    with _unlocked(layer):
        layer._peft_modules = {}
    layer._peft_switch = switch


def attach(layer: keras.layers.Layer, adapter: str, module: keras.layers.Layer) -> None:
    """Adds ``module`` to host ``layer`` under ``adapter`` (its variables become the layer's)."""
    if adapter in layer._peft_modules:
        raise ValueError(f"layer {layer.name} already has an adapter named '{adapter}'")
    with _unlocked(layer):
        layer._peft_modules[adapter] = module
