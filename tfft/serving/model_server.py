"""``tfft serve``: a TF-Serving-compatible server (REST and gRPC) for machines without TF Serving.

It reads the same files TF Serving does (``models.config``,
``batching_parameters.txt``), so a bundle from ``tfft deploy`` can be tried
locally before it ships.

Example:

>>> server = ModelServer(config_for_paths([Path("saved_models/intents")]), rest_port=0, grpc_port=0)
>>> server.start()
>>> server.rest_port, server.grpc_port
(40123, 40125)
>>> server.stop()
"""

from __future__ import annotations

from tfft.serving.batching import BatchingOptions
from tfft.serving.grpc_server import GrpcServer
from tfft.serving.model_registry import ModelRegistry
from tfft.serving.rest_server import DEFAULT_MAX_REQUEST_BYTES, RestServer
from tfft.serving.prediction_service import ModelService


class ModelServer:
    """Version polling, the batching service, and the REST and gRPC front-ends, started together."""

    def __init__(self, config, host: str = "127.0.0.1", rest_port: int | None = 8501, grpc_port: int | None = 8500,
                 batching: BatchingOptions | None = None, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
                 poll_seconds: float = 1.0):
        self.registry = ModelRegistry(config)
        self.service = ModelService(self.registry, batching)
        self.poll_seconds = poll_seconds
        self.rest = RestServer(self.service, host, rest_port, max_request_bytes) if rest_port is not None else None
        self.grpc = GrpcServer(self.service, host, grpc_port, max_request_bytes) if grpc_port is not None else None
        self.host = host

    @property
    def rest_port(self) -> int | None:
        return self.rest.port if self.rest else None

    @property
    def grpc_port(self) -> int | None:
        return self.grpc.port if self.grpc else None

    def start(self) -> None:
        self.registry.start(self.poll_seconds)  # loads every model before the ports answer
        for front in (self.rest, self.grpc):
            if front is not None:
                front.start()

    def stop(self) -> None:
        for front in (self.rest, self.grpc):
            if front is not None:
                front.stop()
        self.registry.stop()

    def __enter__(self) -> "ModelServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
