"""Adapter-only checkpoints: just the weights a PEFT run trained, keyed by layer path.

A checkpoint folder holds ``adapter.safetensors`` (the adapter's modules, the task
head, and any backbone variable that trained, e.g. BitFit's biases),
``adapter.json`` (the run config, the method, and a fingerprint of the backbone it
was trained on) and the task's state (label names). Keys are layer path names
(``transformer_layer_3/self_attention_layer/query/peft/a``), never layer indices,
so a checkpoint loads onto any fresh backbone of the same preset; a backbone of
another shape or with other pretrained weights is refused with what differs.

Example:

>>> save_adapter("runs/sst2-lora/adapter", model, backbone, config, task)
>>> trained = load_adapter_model("runs/sst2-lora/adapter")   # fresh minilm-l6 + adapter
>>> trained.model.predict(...)
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
from safetensors.numpy import load_file, save_file

from tfft.config import RunConfig, config_from_dict, config_to_dict
from tfft.peft.adapter_set import adapter_variables, add_adapter, switch_of
from tfft.peft.layer_tree import walk
from tfft.peft.methods import host_layers

WEIGHTS_FILE = "adapter.safetensors"
INFO_FILE = "adapter.json"
FINGERPRINT_TOLERANCE = 1e-4


class AdapterMismatchError(ValueError):
    """A checkpoint does not fit the backbone (or model) it is loaded onto."""


def trained_variables(model: keras.Model, backbone: keras.Model, adapter: str) -> dict[str, keras.Variable]:
    """What a PEFT run changed: adapter modules, head, and trainable backbone variables."""
    found = {f"adapter/{key}": v for key, v in adapter_variables(backbone, adapter).items()}
    for path, layer in host_layers(backbone):
        for variable in layer._trainable_variables:
            if variable.trainable:
                found[f"backbone/{path}/{variable.name}"] = variable
    backbone_ids = {id(v) for v in backbone.weights}
    for path, layer in walk(model):
        if layer is backbone or path.startswith(backbone.name + "/"):
            continue
        for variable in [*layer._trainable_variables, *layer._non_trainable_variables]:
            if id(variable) not in backbone_ids:
                found[f"head/{path}/{variable.name}"] = variable
    return found


def backbone_fingerprint(backbone: keras.Model) -> dict:
    """Architecture plus checksums of two frozen weight tensors (the pretrained identity)."""
    config = {k: v for k, v in backbone.get_config().items() if k not in ("name", "dtype", "trainable")}
    config = json.loads(json.dumps(config, default=str))  # as it reads back from adapter.json
    kernels = [v for _, layer in host_layers(backbone) for v in layer._trainable_variables
               if v.name in ("embeddings", "kernel") and not v.trainable]  # frozen: as pretrained
    checks = {v.path: float(np.abs(keras.ops.convert_to_numpy(v)).astype("float64").mean())
              for v in (kernels[0], kernels[-1])}
    return {"class": type(backbone).__name__, "config": config, "checksums": checks}


def save_adapter(directory: str | Path, model: keras.Model, backbone: keras.Model,
                 config: RunConfig, task, adapter: str | None = None) -> Path:
    """Writes the adapter checkpoint of ``adapter`` (default: the active one)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    adapter = adapter or switch_of(backbone).active
    tensors = {key: np.ascontiguousarray(keras.ops.convert_to_numpy(v))
               for key, v in trained_variables(model, backbone, adapter).items()}
    save_file(tensors, str(directory / WEIGHTS_FILE))
    info = {"config": config_to_dict(config), "peft": config_to_dict(config)["peft"],
            "backbone": backbone_fingerprint(backbone), "tensors": len(tensors),
            "parameters": int(sum(t.size for t in tensors.values()))}
    (directory / INFO_FILE).write_text(json.dumps(info, indent=1, default=str), encoding="utf-8")
    task.save(directory)
    return directory


def read_info(directory: str | Path) -> dict:
    path = Path(directory) / INFO_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not an adapter checkpoint (no {INFO_FILE})")
    return json.loads(path.read_text(encoding="utf-8"))


def check_backbone(info: dict, backbone: keras.Model, directory) -> None:
    expected, actual = info["backbone"], backbone_fingerprint(backbone)
    if expected["class"] != actual["class"] or expected["config"] != actual["config"]:
        differs = sorted(k for k in set(expected["config"]) | set(actual["config"])
                         if expected["config"].get(k) != actual["config"].get(k))
        raise AdapterMismatchError(
            f"adapter {directory} was trained on a {expected['class']} and cannot load onto this "
            f"{actual['class']}: differs in {differs or ['class']} "
            f"(checkpoint {[expected['config'].get(k) for k in differs]}, "
            f"backbone {[actual['config'].get(k) for k in differs]})")
    for path, value in expected["checksums"].items():
        found = actual["checksums"].get(path)
        if found is None or abs(found - value) > FINGERPRINT_TOLERANCE * max(abs(value), 1e-12):
            raise AdapterMismatchError(
                f"adapter {directory} was trained on other pretrained weights: {path} has mean |w| "
                f"{value:.6g} in the checkpoint's backbone, {found} in this one. Load the preset it "
                f"was trained on ({info['config']['model']['backbone']})")


def load_adapter(directory: str | Path, model: keras.Model, backbone: keras.Model,
                 adapter: str | None = None) -> None:
    """Loads a checkpoint into ``model`` whose backbone carries a fresh adapter of the same method."""
    info = read_info(directory)
    check_backbone(info, backbone, directory)
    adapter = adapter or switch_of(backbone).active
    tensors = load_file(str(Path(directory) / WEIGHTS_FILE))
    targets = trained_variables(model, backbone, adapter)
    missing = sorted(set(tensors) - set(targets))
    if missing:
        raise AdapterMismatchError(f"{directory}: {len(missing)} tensor(s) have no place in this model, "
                                   f"e.g. {missing[:3]}; was it trained with another peft method or task?")
    for key, value in tensors.items():
        variable = targets[key]
        if tuple(variable.shape) != value.shape:
            raise AdapterMismatchError(f"{directory}: {key} has shape {value.shape} in the checkpoint, "
                                       f"{tuple(variable.shape)} in the model (other rank or labels?)")
        variable.assign(value)


def adapter_run_config(directory: str | Path) -> RunConfig:
    return config_from_dict(read_info(directory)["config"], str(Path(directory) / INFO_FILE))


def attach_checkpoint(directory: str | Path, backbone: keras.Model, build_model, name: str) -> keras.Model:
    """Adds adapter ``name`` from a checkpoint to ``backbone``; ``build_model()`` makes its task model."""
    config = adapter_run_config(directory)
    add_adapter(backbone, config.peft, name)
    model = build_model()
    load_adapter(directory, model, backbone, name)
    return model
