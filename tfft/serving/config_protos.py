"""TF Serving's text-format config files, read and written with TF Serving's own messages.

``ModelServerConfig`` (``models.config``) comes from tensorflow-serving-api.
That package does not ship ``BatchingParameters`` (session_bundle_config.proto)
or ``MonitoringConfig`` (monitoring_config.proto), so both are declared here
with the upstream package, field names, numbers and types, which is all the
text format depends on.

Example:

>>> config = read_text_proto(Path("deploy/models.config"), model_server_config_pb2.ModelServerConfig)
>>> BatchingParameters(max_batch_size=Int64Value(value=32))
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf import wrappers_pb2  # noqa: F401  (puts Int64Value/StringValue in the pool)
from tensorflow_serving.config import model_server_config_pb2  # noqa: F401  (re-exported for callers)

_FIELD = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "tensorflow.serving"
_FILE = "tfft/serving/upstream_config.proto"


def _message(file: descriptor_pb2.FileDescriptorProto, name: str, fields: list[tuple]) -> None:
    message = file.message_type.add(name=name)
    for field_name, number, kind, type_name, label in fields:
        message.field.add(name=field_name, number=number, type=kind, type_name=type_name or None,
                          label=label)


def _declare() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.Default()
    try:
        pool.FindMessageTypeByName(f"{_PACKAGE}.BatchingParameters")
        return pool  # declared already (a real TF Serving build in the same process, say)
    except KeyError:
        pass
    file = descriptor_pb2.FileDescriptorProto(name=_FILE, package=_PACKAGE, syntax="proto3",
                                              dependency=["google/protobuf/wrappers.proto"])
    optional, repeated = _FIELD.LABEL_OPTIONAL, _FIELD.LABEL_REPEATED
    int64_value, string_value = ".google.protobuf.Int64Value", ".google.protobuf.StringValue"
    message = _FIELD.TYPE_MESSAGE
    _message(file, "BatchingParameters", [
        ("max_batch_size", 1, message, int64_value, optional),
        ("batch_timeout_micros", 2, message, int64_value, optional),
        ("max_enqueued_batches", 3, message, int64_value, optional),
        ("num_batch_threads", 4, message, int64_value, optional),
        ("thread_pool_name", 5, message, string_value, optional),
        ("allowed_batch_sizes", 6, _FIELD.TYPE_INT64, None, repeated),
        ("pad_variable_length_inputs", 7, _FIELD.TYPE_BOOL, None, optional),
    ])
    _message(file, "PrometheusConfig", [
        ("enable", 1, _FIELD.TYPE_BOOL, None, optional),
        ("path", 2, _FIELD.TYPE_STRING, None, optional),
    ])
    _message(file, "MonitoringConfig", [
        ("prometheus_config", 1, message, f".{_PACKAGE}.PrometheusConfig", optional),
    ])
    pool.Add(file)
    return pool


_POOL = _declare()
BatchingParameters = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{_PACKAGE}.BatchingParameters"))
MonitoringConfig = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{_PACKAGE}.MonitoringConfig"))
ModelServerConfig = model_server_config_pb2.ModelServerConfig


def read_text_proto(path: Path, message_class):
    """Parses a text-format file; errors name the file and the line."""
    try:
        return text_format.Parse(Path(path).read_text(encoding="utf-8"), message_class())
    except text_format.ParseError as error:
        raise ValueError(f"{path}: {error}") from None


def write_text_proto(path: Path, message) -> Path:
    Path(path).write_text(text_format.MessageToString(message), encoding="utf-8")
    return Path(path)
