"""Export a trained model as a TF Serving SavedModel that takes raw strings.

``serving_default`` takes ``text`` (and ``text_pair`` for pair tasks) as
tf.string ``[None]``, tokenizes inside the graph (core TF + tensorflow-text ops
only, which stock TF Serving links) and returns the task's named outputs.
Only the model's weights are saved, never optimizer state.

Example:

>>> path = export_saved_model(model, encoder, task, Path("saved_models/intents"),
...                           warmup_inputs={"text": ["where is my parcel?"]})
>>> path.name
'1'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from tfft.export.versions import next_version, staging_folder
from tfft.export.warmup import write_warmup_requests
from tfft.tasks.base import Task

METADATA_FILE = "tfft.json"


def input_signature(task: Task) -> list[tf.TensorSpec]:
    return [tf.TensorSpec([None], tf.string, name=name) for name in task.serving_inputs]


def build_archive(model: keras.Model, encoder, task: Task) -> keras.export.ExportArchive:
    encoder.tokenizer(tf.constant(["build"]))  # a tokenizer read back from disk is built on first call
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(encoder.tokenizer)
    archive.add_endpoint("serving_default", task.serving_function(model, encoder),
                         input_signature=input_signature(task))
    _share_variable_storage(archive)
    return archive


def _share_variable_storage(archive: keras.export.ExportArchive) -> None:
    """Stops Keras 3.15 from writing every weight twice.

    ``track()`` lists the Keras variable wrappers while the endpoints capture
    the tf.Variables inside them; the checkpoint saves both, doubling the
    SavedModel. Listing the inner tf.Variables makes the two lists share storage.
    """
    trackable = archive._tf_trackable
    for name in ("variables", "trainable_variables", "non_trainable_variables"):
        setattr(trackable, name, [getattr(v, "_value", v) for v in getattr(trackable, name)])


def export_saved_model(
    model: keras.Model,
    encoder,
    task: Task,
    model_root: Path,
    version: int | None = None,
    metadata: dict[str, Any] | None = None,
    warmup_inputs: dict[str, list[str]] | None = None,
) -> Path:
    """Writes ``model_root/<version>/`` atomically and returns its path."""
    model_root = Path(model_root)
    version = version or next_version(model_root)
    with staging_folder(model_root, version) as staging:
        build_archive(model, encoder, task).write_out(str(staging), verbose=False)
        extra = staging / "assets.extra"
        extra.mkdir(parents=True, exist_ok=True)
        info = {"serving_inputs": task.serving_inputs, "task": task.name, "version": version,
                **(metadata or {})}
        (extra / METADATA_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
        task.save(extra)  # label names etc., so `tfft evaluate --export` needs no run folder
        if warmup_inputs:
            write_warmup_requests(staging, model_root.name, warmup_inputs)
    return model_root / str(version)
