"""TF Serving warm-up records: ``assets.extra/tf_serving_warmup_requests``.

TF Serving replays these PredictionLog records when it loads a version, so the
first user request does not pay for graph initialisation.

Example:

>>> write_warmup_requests(export_dir, "intents", {"text": ["where is my order?"]})
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

WARMUP_FILE = "tf_serving_warmup_requests"
MAX_RECORDS = 1000  # TF Serving reads at most this many


def write_warmup_requests(
    export_dir: Path, model_name: str, inputs: dict[str, list[str]], batch_sizes=(1, 8)
) -> Path:
    """Writes one request per batch size from the first rows of ``inputs``."""
    path = Path(export_dir) / "assets.extra" / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for batch_size in list(batch_sizes)[:MAX_RECORDS]:
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(name=model_name, signature_name="serving_default")
            )
            for name, values in inputs.items():
                request.inputs[name].CopyFrom(tf.make_tensor_proto(values[:batch_size], dtype=tf.string))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(path: Path) -> list[predict_pb2.PredictRequest]:
    requests = []
    for record in tf.data.TFRecordDataset(str(path)):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        requests.append(log.predict_log.request)
    return requests
