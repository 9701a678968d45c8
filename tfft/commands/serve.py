"""``tfft serve``: TF Serving's REST and gRPC APIs over local exports, until interrupted.

Example:

    tfft serve saved_models/support-intents --enable-batching      # REST :8501, gRPC :8500
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from tfft.serving.batching import BatchingOptions
from tfft.serving.config_protos import BatchingParameters, ModelServerConfig, read_text_proto
from tfft.serving.model_registry import config_for_paths
from tfft.serving.model_server import ModelServer


def server_config(args) -> ModelServerConfig:
    """What to serve: model folders, one ``--model-base-path``, or a ``--model-config-file``."""
    sources = [bool(args.models), bool(args.model_base_path), bool(args.model_config_file)]
    if sum(sources) > 1:
        raise ValueError("give model folders, --model-base-path or --model-config-file, only one of them")
    if args.model_config_file:
        return read_text_proto(Path(args.model_config_file), ModelServerConfig)
    if not any(sources):
        raise ValueError("tfft serve needs model folders (saved_models/<name>), --model-base-path or "
                         "--model-config-file")
    folders = [args.model_base_path] if args.model_base_path else args.models
    for folder in folders:
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"model folder {folder} does not exist")
    names = [args.model_name] if args.model_base_path else None
    return config_for_paths([Path(folder) for folder in folders], args.keep_versions, names)


def _batching(args) -> BatchingOptions | None:
    if args.batching_parameters_file:
        return BatchingOptions.from_proto(read_text_proto(Path(args.batching_parameters_file), BatchingParameters))
    if args.enable_batching:
        return BatchingOptions(max_batch_size=args.max_batch_size, batch_timeout_micros=args.batch_timeout_micros,
                               num_batch_threads=args.num_batch_threads)
    return None


def set_tensorflow_threads(intra_op: int = 0, inter_op: int = 0) -> None:
    """TF Serving's ``--tensorflow_intra_op_parallelism`` / ``--tensorflow_inter_op_parallelism``; 0 lets TF choose.

    One intra-op thread per call suits unbatched serving of many concurrent
    requests on few cores: requests run side by side instead of each spreading
    its small matrix products over every core. It must be set before
    TensorFlow runs its first op.
    """
    import tensorflow as tf

    try:
        if intra_op:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        if inter_op:
            tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError as error:
        raise RuntimeError(f"TensorFlow's thread pools already exist, so the thread counts cannot change "
                           f"({error}); set them before any model is loaded") from None


def run(args) -> int:
    """Serves until interrupted (Ctrl-C or SIGTERM)."""
    set_tensorflow_threads(args.tensorflow_intra_op_parallelism, args.tensorflow_inter_op_parallelism)
    server = ModelServer(server_config(args), args.host, args.rest_port, args.grpc_port, _batching(args),
                         args.max_request_bytes, args.poll_seconds)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    server.start()
    for name in server.registry.models:
        versions = [row[0] for row in server.registry.status(name) if row[1] == "AVAILABLE"]
        print(f"serving {name} versions {versions}", flush=True)
    if server.rest_port is not None:
        print(f"REST  http://{args.host}:{server.rest_port}/v1/models/<name>[:predict]", flush=True)
    print(f"gRPC  {args.host}:{server.grpc_port} (tensorflow.serving.PredictionService)", flush=True)
    print(f"batching: {server.service.batching or 'off'}; metrics at /monitoring/prometheus/metrics; "
          f"Ctrl-C stops", flush=True)
    stop.wait()
    server.stop()
    return 0
