"""TF Serving's gRPC ``PredictionService`` (Predict, GetModelMetadata) and ``ModelService``
(GetModelStatus), on the tensorflow-serving-api stubs.

Example:

>>> server = GrpcServer(service, host="127.0.0.1", port=8500)
>>> server.start()
"""

from __future__ import annotations

from concurrent import futures

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

from tfft.serving.errors import ServingError, invalid
from tfft.serving.prediction_service import ModelService

METADATA_FIELD = "signature_def"


def _spec(model_spec) -> tuple[str, int | None, str | None]:
    version = model_spec.version.value if model_spec.HasField("version") else None
    return model_spec.name, version, model_spec.version_label or None


def _arrays(tensors) -> dict[str, np.ndarray]:
    try:
        return {name: tf.make_ndarray(proto) for name, proto in tensors.items()}
    except (TypeError, ValueError) as error:
        raise invalid(f"an input TensorProto cannot be read: {error}") from None


class _Servicer(prediction_service_pb2_grpc.PredictionServiceServicer, model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, service: ModelService):
        self.service = service

    def _call(self, context, model: str, method: str, handle):
        with self.service.metrics.timed(self.service.metric_label(model), "grpc", method) as outcome:
            try:
                response = handle()
                outcome.status = "OK"
                return response
            except ServingError as error:
                outcome.status = error.code
                context.abort(error.grpc_code, error.message)

    def Predict(self, request, context):
        def predict():
            name, version, label = _spec(request.model_spec)
            servable, outputs = self.service.predict(name, version, label, request.model_spec.signature_name,
                                                     _arrays(request.inputs))
            wanted = set(request.output_filter) or set(outputs)
            if wanted - set(outputs):
                raise invalid(f"output_filter names {sorted(wanted - set(outputs))}; outputs are {sorted(outputs)}")
            response = predict_pb2.PredictResponse()
            response.model_spec.name = name
            response.model_spec.version.value = servable.version
            response.model_spec.signature_name = request.model_spec.signature_name or "serving_default"
            for key in wanted:
                response.outputs[key].CopyFrom(tf.make_tensor_proto(outputs[key]))
            return response
        return self._call(context, request.model_spec.name, "Predict", predict)

    def GetModelMetadata(self, request, context):
        def metadata():
            if list(request.metadata_field) != [METADATA_FIELD]:
                raise invalid(f"metadata_field must be ['{METADATA_FIELD}'], got {list(request.metadata_field)}")
            servable = self.service.registry.resolve(*_spec(request.model_spec))
            response = get_model_metadata_pb2.GetModelMetadataResponse()
            response.model_spec.name = servable.name
            response.model_spec.version.value = servable.version
            response.metadata[METADATA_FIELD].Pack(servable.signature_def_map)
            return response
        return self._call(context, request.model_spec.name, "GetModelMetadata", metadata)

    def GetModelStatus(self, request, context):
        def status():
            name, version, label = _spec(request.model_spec)
            if label:
                version = self.service.registry.resolve(name, None, label).version
            response = get_model_status_pb2.GetModelStatusResponse()
            for number, state, message in self.service.registry.status(name):
                if version in (None, number):
                    row = response.model_version_status.add(version=number)
                    row.state = get_model_status_pb2.ModelVersionStatus.State.Value(state)
                    row.status.error_message = message
            return response
        return self._call(context, request.model_spec.name, "GetModelStatus", status)


class GrpcServer:
    """A gRPC server for ``service`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, service: ModelService, host: str = "127.0.0.1", port: int = 8500,
                 max_request_bytes: int = 4 * 1024 * 1024, threads: int = 64):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tfft-grpc"),
                                  options=[("grpc.max_receive_message_length", max_request_bytes)])
        servicer = _Servicer(service)
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(servicer, self.server)
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(servicer, self.server)
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"cannot listen for gRPC on {host}:{port}")

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=1).wait()
