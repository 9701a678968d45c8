"""Export a trained model as a TF Serving SavedModel that takes raw strings.

``serving_default`` takes ``text`` (and ``text_pair`` for pair tasks) as
tf.string ``[None]``, tokenizes inside the graph (core TF + tensorflow-text ops
only, which stock TF Serving links) and returns the task's named outputs.
Encoder layers run padding-free serving kernels (`tfft.export.packed_transformer`),
and graph assertions are single ``Assert`` ops (`tfft.export.plain_asserts`).
Only the model's weights are saved, never optimizer state.

Example:

>>> path = export_saved_model(model, encoder, task, Path("saved_models/intents"),
...                           warmup_inputs={"text": ["where is my parcel?"]})
>>> path.name
'1'
"""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import keras
import tensorflow as tf

from tfft.export.packed_transformer import PackedHandoff, packed_transformer_calls
from tfft.export.plain_asserts import plain_asserts
from tfft.export.versions import next_version, staging_folder
from tfft.export.warmup import write_warmup_requests
from tfft.tasks.base import Task

METADATA_FILE = "tfft.json"


def input_signature(task: Task) -> list[tf.TensorSpec]:
    return [tf.TensorSpec([None], tf.string, name=name) for name in task.serving_inputs]


@dataclass
class Endpoint:
    """One signature of an export: a task model, its encoder, and the context it is traced in."""

    name: str
    model: keras.Model
    encoder: Any
    task: Task
    context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    kernel_dtype: str = "float32"  # bfloat16: encoder projections on frozen bfloat16 weights

    def function(self):
        serve = self.task.serving_function(self.model, self.encoder)
        # A first trace finds the encoder layers read only at [CLS]; the export computes one row there.
        probe = PackedHandoff()
        tf.function(self._packed(serve, "float32", handoff=probe),
                    input_signature=input_signature(self.task)).get_concrete_function()
        return self._packed(serve, self.kernel_dtype, probe.read_at_first_token_only())

    def _packed(self, serve, kernel_dtype: str, first_token_only=frozenset(), handoff=None):
        @functools.wraps(serve)  # keeps the input names (text, text_pair) for the signature
        def traced(*inputs):
            with self.context(), plain_asserts(), packed_transformer_calls(self.model, kernel_dtype,
                                                                        first_token_only, handoff):
                return serve(*inputs)

        return traced


@dataclass
class ExtraSignature:
    """A signature beside the task's own (an export's ``explain``, say): its function and what it captures."""

    name: str
    function: Callable
    input_signature: list[tf.TensorSpec]
    tracked: list = field(default_factory=list)  # tf.Modules whose tables or variables the function reads


def build_archive(model: keras.Model, encoder, task: Task, kernel_dtype: str = "float32",
                  extra_signatures: list[ExtraSignature] = ()) -> keras.export.ExportArchive:
    return build_endpoints_archive([Endpoint("serving_default", model, encoder, task, kernel_dtype=kernel_dtype)],
                                   extra_signatures)


def build_endpoints_archive(endpoints: list[Endpoint],
                            extra_signatures: list[ExtraSignature] = ()) -> keras.export.ExportArchive:
    archive = keras.export.ExportArchive()
    tracked: set[int] = set()
    for endpoint in endpoints:
        endpoint.encoder.tokenizer(tf.constant(["build"]))  # a tokenizer read from disk builds on first call
        for item in (endpoint.model, endpoint.encoder.tokenizer):
            if id(item) not in tracked:
                tracked.add(id(item))
                archive.track(item)
    for endpoint in endpoints:
        archive.add_endpoint(endpoint.name, endpoint.function(), input_signature=input_signature(endpoint.task))
    for extra in extra_signatures:
        for item in extra.tracked:
            if id(item) not in tracked:
                tracked.add(id(item))
                archive.track(item)
        archive.add_endpoint(extra.name, extra.function, input_signature=extra.input_signature)
    _share_variable_storage(archive)
    return archive


def _share_variable_storage(archive: keras.export.ExportArchive) -> None:
    """Saves each weight the endpoints read, once.

    ``track()`` lists the Keras variable wrappers while the endpoints capture
    the tf.Variables inside them; the checkpoint saves both, doubling the
    SavedModel (Keras 3.15). Listing the inner tf.Variables makes the two lists
    share storage. Variables no endpoint reads (weights frozen into the graph
    as bfloat16 constants) are left out.
    """
    trackable = archive._tf_trackable
    used = {id(v) for group in archive._get_variables_used_by_endpoints() for v in group}
    for name in ("variables", "trainable_variables", "non_trainable_variables"):
        inner = {id(getattr(v, "_value", v)): getattr(v, "_value", v) for v in getattr(trackable, name)}
        setattr(trackable, name, [v for key, v in inner.items() if key in used])  # shared backbones once


def export_saved_model(
    model: keras.Model,
    encoder,
    task: Task,
    model_root: Path,
    version: int | None = None,
    metadata: dict[str, Any] | None = None,
    warmup_inputs: dict[str, list[str]] | None = None,
    kernel_dtype: str = "float32",
    extra_signatures: list[ExtraSignature] = (),
) -> Path:
    """Writes ``model_root/<version>/`` atomically and returns its path.

    Args:
        model: the trained task model (raw model inputs to the task's outputs).
        encoder: the text encoder it was trained with; it runs inside the serving graph.
        task: the task whose serving function names the outputs.
        model_root: the model folder TF Serving watches (``saved_models/<name>``).
        version: the integer version folder; None takes the next free one. An existing one is refused.
        metadata: written to ``assets.extra/tfft.json`` beside the task's own files.
        warmup_inputs: requests written to ``assets.extra/tf_serving_warmup_requests``.
        kernel_dtype: ``"bfloat16"`` serves the encoder's projections in bfloat16
            (`tfft.export.packed_transformer.Projection`): for CPUs with AMX or AVX512_BF16.
        extra_signatures: signatures beside ``serving_default`` (they run the Keras model as it is).
    """
    model_root = Path(model_root)
    version = version or next_version(model_root)
    with staging_folder(model_root, version) as staging:
        build_archive(model, encoder, task, kernel_dtype, extra_signatures).write_out(str(staging), verbose=False)
        extra = staging / "assets.extra"
        extra.mkdir(parents=True, exist_ok=True)
        info = {"serving_inputs": task.serving_inputs, "task": task.name, "version": version,
                **(metadata or {})}
        (extra / METADATA_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
        task.save(extra)  # label names etc., so `tfft evaluate --export` needs no run folder
        if warmup_inputs:
            write_warmup_requests(staging, model_root.name, warmup_inputs)
    return model_root / str(version)
