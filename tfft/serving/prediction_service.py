"""What both front-ends (REST, gRPC) call: resolve the servable, check, batch, run.

Example:

>>> service = ModelService(registry, BatchingOptions(max_batch_size=32))
>>> servable, outputs = service.predict("intents", None, None, "", {"text": texts})
"""

from __future__ import annotations

import threading

import numpy as np

from tfft.serving.batching import BatchingOptions, BatchingQueue
from tfft.serving.metrics import ServerMetrics
from tfft.serving.model_registry import ModelRegistry
from tfft.serving.servable import DEFAULT_SIGNATURE, Servable, Signature


class ModelService:
    """Predictions, metadata and status over a registry, with optional batching."""

    def __init__(self, registry: ModelRegistry, batching: BatchingOptions | None = None,
                 metrics: ServerMetrics | None = None):
        self.registry, self.batching = registry, batching
        self.metrics = metrics or ServerMetrics()
        self._queues: dict[tuple[str, int, str], BatchingQueue] = {}
        self._lock = threading.Lock()
        registry.on_change = self._versions_changed

    def _versions_changed(self, name: str, versions: list[int]) -> None:
        self.metrics.loaded.labels(name).set(len(versions))
        with self._lock:
            gone = [key for key in self._queues if key[0] == name and key[1] not in versions]
            for key in gone:
                self._queues.pop(key).close()

    def metric_label(self, name: str | None) -> str:
        """The model label for metrics: a served name, else "-" (requests' names must not grow the series)."""
        return name if name in self.registry.models else "-"

    def predict(self, name: str, version: int | None, label: str | None, signature_name: str,
                inputs: dict[str, np.ndarray]) -> tuple[Servable, dict[str, np.ndarray]]:
        servable = self.registry.resolve(name, version, label)
        signature_name = signature_name or DEFAULT_SIGNATURE
        signature = servable.signature(signature_name)
        checked = signature.check(inputs)
        return servable, self._runner(servable, signature_name, signature)(checked)

    def _runner(self, servable: Servable, signature_name: str, signature: Signature):
        record = self.metrics.batch_size.labels(servable.name).observe
        if self.batching is None:
            def unbatched(inputs):
                record(len(next(iter(inputs.values()))))
                return signature(inputs)
            return unbatched
        key = (servable.name, servable.version, signature_name)
        with self._lock:
            if key not in self._queues:
                self._queues[key] = BatchingQueue(signature, self.batching, on_batch=record)
            return self._queues[key]
