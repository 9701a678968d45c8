"""Save a trained model into its run folder and load it back without downloads.

A reloaded model always computes in float32, whatever precision it was
trained in: mixed precision is a training-time speed setting, and float32 is
what every TF Serving CPU runs well. The run folder keeps the backbone's
config (so it can be rebuilt offline, with no pretrained download), the
tokenizer (as a keras-hub preset) and the full model's weights.

Example:

>>> trained = load_trained_model(Path("runs/support-intents"))
>>> trained.model, trained.encoder, trained.task
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import keras_hub  # noqa: F401  (registers keras-hub classes for deserialization)

from tfft.backbones import encoder_length, load_backbone
from tfft.config import RunConfig, load_config
from tfft.peft import add_adapter, is_enabled, merge_active
from tfft.peft.checkpoint import adapter_run_config, attach_checkpoint
from tfft.run_folder import RunFolder
from tfft.tasks import Task, make_task
from tfft.training.precision import float32_policy
from tfft.training.weights import save_model_weights


@dataclass
class TrainedModel:
    config: RunConfig
    task: Task
    model: keras.Model
    encoder: Any
    backbone: keras.Model | None = None


def save_trained_model(folder: RunFolder, model: keras.Model, backbone: keras.Model,
                       encoder: Any, task: Task) -> None:
    save_model_weights(model, folder.weights)
    folder.backbone_config.write_text(
        json.dumps(keras.saving.serialize_keras_object(backbone), indent=1), encoding="utf-8"
    )
    encoder.tokenizer.save_to_preset(str(folder.tokenizer))
    task.save(folder.path)


def load_tokenizer(directory: Path):
    """Reads a tokenizer written by ``tokenizer.save_to_preset`` (config + assets, no backbone)."""
    config = json.loads((Path(directory) / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer = keras.saving.deserialize_keras_object(config)
    tokenizer.load_preset_assets(str(directory))
    return tokenizer


def load_trained_model(run_dir: Path, for_export: bool = False) -> TrainedModel:
    """The run's model; ``for_export`` folds LoRA-style adapters into the kernels if the run says so."""
    folder = RunFolder(Path(run_dir))
    if not folder.weights.is_file():
        raise FileNotFoundError(f"{run_dir} has no trained model ({folder.weights.name}); "
                                f"is it a finished tfft run folder?")
    config = load_config(folder.config)
    task = make_task(config.task, config.task_options, config.data)
    task.load(folder.path)
    with float32_policy():
        backbone_config = json.loads(folder.backbone_config.read_text())
        backbone_config["config"]["dtype"] = "float32"
        backbone = keras.saving.deserialize_keras_object(backbone_config)
        encoder = task.make_encoder(load_tokenizer(folder.tokenizer), encoder_length(backbone, config.model.max_length))
        if is_enabled(config.peft):
            add_adapter(backbone, config.peft, config.name)
        model = task.build_model(backbone, config.model, encoder)
    model.load_weights(folder.weights)
    if for_export and config.peft.merge_on_export:
        merge_active(backbone)
    return TrainedModel(config, task, model, encoder, backbone)


def load_adapter_model(directory: Path, backbone: str | None = None) -> TrainedModel:
    """A fresh pretrained backbone (``backbone`` or the one trained on) plus an adapter checkpoint.

    >>> trained = load_adapter_model(Path("runs/sst2-lora/adapter"))
    """
    config = adapter_run_config(directory)
    task = make_task(config.task, config.task_options, config.data)
    task.load(Path(directory))
    with float32_policy():
        loaded = load_backbone(backbone or config.model.backbone, config.model.max_length)
        encoder = task.make_encoder(loaded.tokenizer, encoder_length(loaded.backbone, config.model.max_length))
        model = attach_checkpoint(directory, loaded.backbone,
                                  lambda: task.build_model(loaded.backbone, config.model, encoder), config.name)
    return TrainedModel(config, task, model, encoder, loaded.backbone)
