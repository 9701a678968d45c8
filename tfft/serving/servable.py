"""One loaded model version: its signatures, checked inputs, numpy in and out.

Example:

>>> servable = Servable.load("intents", 3, Path("saved_models/intents/3"))
>>> servable.run("serving_default", {"text": np.array([b"where is my parcel?"], dtype=object)})
{'label': array([b'delivery'], dtype=object), ...}
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tf-text ops exports tokenize with, as TF Serving links them)
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import get_model_metadata_pb2

from tfft.export.warmup import WARMUP_FILE, read_warmup_requests
from tfft.serving.errors import invalid

DEFAULT_SIGNATURE = "serving_default"


@dataclass
class Signature:
    """A callable signature and the specs of its named inputs and outputs."""

    function: tf.types.experimental.ConcreteFunction
    inputs: dict[str, tf.TensorSpec]
    outputs: dict[str, tf.TensorSpec]

    @classmethod
    def of(cls, function) -> "Signature":
        outputs = {name: tf.TensorSpec(t.shape, t.dtype, name) for name, t in function.structured_outputs.items()}
        return cls(function, dict(function.structured_input_signature[1]), outputs)

    def check(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Raises INVALID_ARGUMENT unless ``inputs`` fit the signature; returns them typed."""
        missing, extra = sorted(set(self.inputs) - set(inputs)), sorted(set(inputs) - set(self.inputs))
        if missing or extra:
            raise invalid(f"the signature takes inputs {sorted(self.inputs)}; "
                          f"missing {missing}, unexpected {extra}")
        typed = {name: _typed(name, value, self.inputs[name]) for name, value in inputs.items()}
        sizes = {value.shape[0] for value in typed.values() if value.ndim}
        if len(sizes) > 1:
            raise invalid(f"inputs have different batch sizes {sorted(sizes)}")
        if sizes == {0}:
            raise invalid("the request has no rows")
        return typed

    def __call__(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            outputs = self.function(**{name: tf.constant(value) for name, value in inputs.items()})
        except tf.errors.InvalidArgumentError as error:
            raise invalid(error.message) from None
        return {name: value.numpy() for name, value in outputs.items()}


def _typed(name: str, value: np.ndarray, spec: tf.TensorSpec) -> np.ndarray:
    value = np.asarray(value, dtype=object if spec.dtype == tf.string else None)
    if not spec.shape.is_compatible_with(value.shape):
        raise invalid(f"input '{name}' has shape {list(value.shape)}; the signature expects "
                      f"{spec.shape.as_list()} (None: any size)")
    if spec.dtype == tf.string:
        if not all(isinstance(item, bytes) for item in value.flat):
            raise invalid(f"input '{name}' must hold strings")
        return value
    try:
        return value.astype(spec.dtype.as_numpy_dtype, casting="same_kind")
    except (TypeError, ValueError):
        raise invalid(f"input '{name}' must hold {spec.dtype.name} values, got {value.dtype}") from None


@dataclass
class Servable:
    """A model version loaded for serving."""

    name: str
    version: int
    path: Path
    signatures: dict[str, Signature]
    module: object

    @classmethod
    def load(cls, name: str, version: int, path: Path) -> "Servable":
        module = tf.saved_model.load(str(path))
        signatures = {key: Signature.of(function) for key, function in module.signatures.items()}
        servable = cls(name, version, Path(path), signatures, module)
        servable.warm_up()
        return servable

    def warm_up(self) -> int:
        """Replays ``assets.extra/tf_serving_warmup_requests`` as TF Serving does; returns how many.

        The first calls of a loaded graph are slow; paying for them here keeps
        them off the first users' requests.
        """
        path = self.path / "assets.extra" / WARMUP_FILE
        requests = read_warmup_requests(path) if path.is_file() else []
        for request in requests:
            inputs = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
            self.signature(request.model_spec.signature_name)(inputs)
        return len(requests)

    def signature(self, name: str) -> Signature:
        name = name or DEFAULT_SIGNATURE
        if name not in self.signatures:
            raise invalid(f"Serving signature name: \"{name}\" not found in signature def; "
                          f"{self.name} version {self.version} has {sorted(self.signatures)}")
        return self.signatures[name]

    @functools.cached_property
    def signature_def_map(self) -> get_model_metadata_pb2.SignatureDefMap:
        """The SignatureDefs as saved: what GetModelMetadata and REST ``/metadata`` return.

        Read from saved_model.pb on first use and kept: metadata calls must not re-read the file.
        """
        saved = saved_model_pb2.SavedModel.FromString((self.path / "saved_model.pb").read_bytes())
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for key, definition in saved.meta_graphs[0].signature_def.items():
            signature_map.signature_def[key].CopyFrom(definition)
        return signature_map
