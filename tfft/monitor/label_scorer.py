"""A single-label classifier as the monitor calls it: texts in, (label, its probability) out.

In process through an export, or over REST / gRPC through a running ``tfft serve``
or TF Serving; either way only the ``label`` and ``probabilities`` outputs are read.

Example:

>>> scorer = LabelScorer.for_model("saved_models/financial-phrasebank")
>>> scorer(["Profit fell by half"])
(['negative'], [0.97])
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf

from tfft.data.labels import LABELS_FILE, LabelVocabulary
from tfft.export.loaded import LoadedExport
from tfft.serving.client import connect

REQUIRED_OUTPUTS = ("label", "probabilities")


class LabelScorer:
    """Wraps a function from ``{input: texts}`` to named outputs."""

    def __init__(self, predict: Callable[[dict[str, list[str]]], dict], input_name: str, where: str,
                 labels: list[str] | None = None):
        self.predict, self.input_name, self.where, self.labels = predict, input_name, where, labels

    @classmethod
    def for_model(cls, model: str, server: str | None = None, signature: str = "serving_default",
                  **client_options) -> "LabelScorer":
        """``model`` is an export folder, or with ``server`` (http:// or grpc://) the served model's name."""
        if server:
            client = connect(server, model, **client_options)
            names = client.input_names(signature)
            return cls(lambda inputs: client.predict(inputs, signature), names[0], f"{model} at {server}")
        export = LoadedExport(model, signature)
        outputs = export.signature.structured_outputs
        if any(name not in outputs for name in REQUIRED_OUTPUTS) or len(export.input_names) != 1:
            raise ValueError(f"{export.path} is not a single-label text classifier: the monitor needs one text "
                             f"input and the outputs {list(REQUIRED_OUTPUTS)}; it has inputs "
                             f"{export.input_names} and outputs {sorted(outputs)}")
        labels_file = export.path / "assets.extra" / LABELS_FILE
        labels = LabelVocabulary.load(labels_file).names if labels_file.is_file() else None
        return cls(lambda inputs: export(**{name: tf.constant(texts) for name, texts in inputs.items()}),
                   export.input_names[0], str(export.path), labels)

    def check_label(self, label: str, what: str) -> None:
        if self.labels is not None and label not in self.labels:
            raise ValueError(f"{what} '{label}' is not a label of {self.where}; its labels are {self.labels}")

    def __call__(self, texts: list[str]) -> tuple[list[str], list[float]]:
        outputs = self.predict({self.input_name: texts})
        missing = [name for name in REQUIRED_OUTPUTS if name not in outputs]
        if missing:
            raise ValueError(f"{self.where} returned {sorted(outputs)}, not the outputs {list(REQUIRED_OUTPUTS)} "
                             f"of a single-label classifier")
        labels = [value.decode("utf-8") if isinstance(value, bytes) else str(value)
                  for value in np.asarray(outputs["label"]).reshape(-1)]
        confidence = np.asarray(outputs["probabilities"], dtype=np.float64).max(axis=-1)
        return labels, confidence.tolist()
