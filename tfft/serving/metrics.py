"""Prometheus metrics of the local server, at TF Serving's path ``/monitoring/prometheus/metrics``.

Example:

>>> metrics = ServerMetrics()
>>> with metrics.timed("intents", "rest", "predict") as outcome:
...     outcome.status = "OK"
>>> metrics.exposition()[:20]
b'# HELP tfft_serving_'
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

PROMETHEUS_PATH = "/monitoring/prometheus/metrics"
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass
class Outcome:
    status: str = "UNKNOWN"


class ServerMetrics:
    """Request counts and latency per model, API and status; batch sizes; loaded versions."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("tfft_serving_requests", "Requests by model, protocol, method and status code",
                                ["model", "protocol", "method", "status"], registry=self.registry)
        self.latency = Histogram("tfft_serving_request_latency_seconds", "Request latency",
                                 ["model", "protocol", "method"], registry=self.registry,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.batch_size = Histogram("tfft_serving_batch_size", "Rows per model call",
                                    ["model"], registry=self.registry,
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
        self.loaded = Gauge("tfft_serving_loaded_versions", "Versions loaded per model", ["model"],
                            registry=self.registry)

    @contextlib.contextmanager
    def timed(self, model: str, protocol: str, method: str):
        outcome = Outcome()
        start = time.perf_counter()
        try:
            yield outcome
        finally:
            self.latency.labels(model, protocol, method).observe(time.perf_counter() - start)
            self.requests.labels(model, protocol, method, outcome.status).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
