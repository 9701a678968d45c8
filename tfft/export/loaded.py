"""Run an exported SavedModel the way TF Serving does: the signature on raw strings.

Example:

>>> exported = LoadedExport("saved_models/support-intents/1")
>>> exported.predict({"text": ["I was charged twice"]})["label"]
array([b'billing'], dtype=object)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfft.export.saved_model import METADATA_FILE
from tfft.export.versions import existing_versions


def resolve_export_path(path: str | Path) -> Path:
    """Accepts a version folder or a model folder (then its newest version)."""
    path = Path(path)
    if (path / "saved_model.pb").is_file():
        return path
    versions = existing_versions(path)
    if versions:
        return path / str(versions[-1])
    raise FileNotFoundError(f"{path} is neither an export version folder (with saved_model.pb) "
                            f"nor a model folder with integer versions")


class LoadedExport:
    """A loaded export and its tfft metadata (task, labels, serving inputs)."""

    def __init__(self, path: str | Path, signature: str = "serving_default"):
        self.path = resolve_export_path(path)
        self.module = tf.saved_model.load(str(self.path))
        if signature not in self.module.signatures:
            raise KeyError(f"{self.path} has no signature '{signature}'; it has {sorted(self.module.signatures)}")
        self.signature = self.module.signatures[signature]
        self.metadata = self.read_metadata(self.path)
        inputs = self.signature.structured_input_signature[1]
        ordered = [name for name in self.metadata.get("serving_inputs", []) if name in inputs]
        self.input_names = ordered if len(ordered) == len(inputs) else sorted(inputs)

    @staticmethod
    def read_metadata(path: str | Path) -> dict:
        """``assets.extra/tfft.json`` of an export (model or version folder), without loading it; {} if none."""
        metadata_file = resolve_export_path(path) / "assets.extra" / METADATA_FILE
        return json.loads(metadata_file.read_text(encoding="utf-8")) if metadata_file.is_file() else {}

    def __call__(self, **inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        return self.signature(**inputs)

    def predict(self, inputs: dict[str, list[str]], batch_size: int = 64) -> dict[str, np.ndarray]:
        """Runs the signature on named string lists in batches; numpy arrays per output.

        Outputs whose second axis varies by batch (entities per text, say) are
        padded to the widest batch with zeros / empty strings.
        """
        return predict_in_batches(lambda batch: self.signature(**{
            name: tf.constant(values) for name, values in batch.items()}), inputs, batch_size)


def predict_in_batches(predict, inputs: dict[str, list], batch_size: int = 64) -> dict[str, np.ndarray]:
    """Calls ``predict`` on slices of ``batch_size`` rows; concatenates its outputs (numpy or tensors)."""
    size = len(next(iter(inputs.values())))
    chunks: dict[str, list[np.ndarray]] = {}
    for start in range(0, size, batch_size):
        batch = {name: values[start:start + batch_size] for name, values in inputs.items()}
        for name, value in predict(batch).items():
            chunks.setdefault(name, []).append(np.asarray(value))
    return {name: concatenate_padded(parts) for name, parts in chunks.items()}


def concatenate_padded(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenates batches along axis 0, padding any other axis to the largest size."""
    if parts[0].ndim < 2:
        return np.concatenate(parts)
    shape = np.max([part.shape for part in parts], axis=0)
    padded = []
    for part in parts:
        widths = [(0, 0)] + [(0, int(m - n)) for m, n in zip(shape[1:], part.shape[1:])]
        fill = (b"" if isinstance(part.flat[0], bytes) else "") if part.dtype == object and part.size else 0
        padded.append(np.pad(part, widths, constant_values=fill))
    return np.concatenate(padded)


