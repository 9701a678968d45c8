"""A client for TF Serving's gRPC ``PredictionService``, with deadlines and retries.

Retries use gRPC's own retry policy (service config): UNAVAILABLE is retried
with exponential back-off; everything else is raised as a ServingError.

Example:

>>> client = GrpcClient("127.0.0.1:8500", "intents", timeout=5)
>>> client.predict({"text": ["where is my parcel?"]})["label"]
array(['delivery'], dtype=object)
"""

from __future__ import annotations

import json

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from tfft.serving.errors import ServingError


def _retry_config(retries: int, backoff: float) -> str:
    return json.dumps({"methodConfig": [{
        "name": [{"service": "tensorflow.serving.PredictionService"},
                 {"service": "tensorflow.serving.ModelService"}],
        "retryPolicy": {"maxAttempts": max(2, retries + 1), "initialBackoff": f"{backoff}s",
                        "maxBackoff": f"{max(backoff * 16, 1)}s", "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"]},
    }]})


class GrpcClient:
    """Predict, metadata and status calls for one model over one channel."""

    def __init__(self, target: str, model: str, version: int | None = None, label: str | None = None,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.2,
                 max_message_bytes: int = 64 * 1024 * 1024):
        if version is not None and label:
            raise ValueError("name a version or a label, not both")
        self.model, self.version, self.label, self.timeout = model, version, label, timeout
        self.channel = grpc.insecure_channel(target, options=[
            ("grpc.enable_retries", 1), ("grpc.service_config", _retry_config(retries, backoff)),
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes)])
        self.predictions = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)
        self.models = model_service_pb2_grpc.ModelServiceStub(self.channel)

    def _spec(self, spec, signature: str = "") -> None:
        spec.name = self.model
        if signature:
            spec.signature_name = signature
        if self.version is not None:
            spec.version.value = self.version
        elif self.label:
            spec.version_label = self.label

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout, wait_for_ready=False)
        except grpc.RpcError as error:
            raise ServingError(error.code().name, error.details() or str(error)) from None

    def predict(self, inputs: dict[str, list], signature: str = "serving_default") -> dict[str, np.ndarray]:
        request = predict_pb2.PredictRequest()
        self._spec(request.model_spec, signature)
        for name, values in inputs.items():
            request.inputs[name].CopyFrom(tf.make_tensor_proto(values))
        response = self._call(self.predictions.Predict, request)
        return {name: _decoded(tf.make_ndarray(proto)) for name, proto in response.outputs.items()}

    def metadata(self) -> get_model_metadata_pb2.GetModelMetadataResponse:
        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        self._spec(request.model_spec)
        return self._call(self.predictions.GetModelMetadata, request)

    def signature_defs(self) -> dict:
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        self.metadata().metadata["signature_def"].Unpack(signature_map)
        return dict(signature_map.signature_def)

    def status(self) -> get_model_status_pb2.GetModelStatusResponse:
        request = get_model_status_pb2.GetModelStatusRequest()
        self._spec(request.model_spec)
        return self._call(self.models.GetModelStatus, request)

    def input_names(self, signature: str = "serving_default") -> list[str]:
        return list(self.signature_defs()[signature].inputs)

    def close(self) -> None:
        self.channel.close()


def _decoded(value: np.ndarray) -> np.ndarray:
    """String tensors arrive as bytes; give str like the REST client does."""
    if value.dtype == object:
        return np.vectorize(lambda item: item.decode("utf-8", errors="replace"), otypes=[object])(value)
    return value
