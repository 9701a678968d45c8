"""tfft serve against the REST and gRPC clients, the fuzzer and the load test; tfft deploy's bundle."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import tensorflow as tf
import yaml
from google.protobuf import text_format

from tfft.export.loaded import LoadedExport
from tfft.serving.batching import BatchingOptions
from tfft.serving.bundle import BundleOptions, write_bundle
from tfft.serving.client import connect
from tfft.serving.config_protos import BatchingParameters, ModelServerConfig, MonitoringConfig
from tfft.serving.errors import ServingError
from tfft.serving.load_generator import malformed_bodies, run_load
from tfft.serving.model_registry import config_for_paths
from tfft.serving.model_server import ModelServer

TEXTS = ["the movie was great", "the hotel was awful", "the phone was superb"]


@pytest.fixture(scope="module")
def model_root(trained_tiny, tmp_path_factory) -> Path:
    """Two versions of the tiny export: 1 and 2 (a copy), as a served model folder."""
    root = tmp_path_factory.mktemp("served") / "tiny"
    for version in (1, 2):
        shutil.copytree(trained_tiny["result"].export_path, root / str(version))
    return root


@pytest.fixture(scope="module")
def server(model_root):
    config = config_for_paths([model_root], keep_versions=2)
    model = config.model_config_list.config[0]
    model.version_labels["stable"], model.version_labels["canary"] = 1, 2
    with ModelServer(config, rest_port=0, grpc_port=0, batching=BatchingOptions(max_batch_size=8)) as running:
        yield running


def url(server, protocol: str) -> str:
    return f"http://127.0.0.1:{server.rest_port}" if protocol == "rest" else f"grpc://127.0.0.1:{server.grpc_port}"


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_clients_get_what_the_export_computes(server, model_root, protocol):
    expected = LoadedExport(model_root / "1").predict({"text": TEXTS})
    got = connect(url(server, protocol), "tiny", timeout=30).predict({"text": TEXTS})
    assert [str(v) for v in got["label"]] == [v.decode() for v in expected["label"]]
    np.testing.assert_allclose(got["probabilities"].astype(float), expected["probabilities"], atol=1e-5)


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_versions_labels_and_unknowns(server, protocol):
    for options in ({"version": 1}, {"label": "canary"}):
        assert len(connect(url(server, protocol), "tiny", **options).predict({"text": TEXTS[:1]})["label"]) == 1
    for model, options in (("tiny", {"version": 9}), ("tiny", {"label": "nope"}), ("nope", {})):
        with pytest.raises(ServingError) as error:
            connect(url(server, protocol), model, retries=0, **options).predict({"text": TEXTS[:1]})
        assert error.value.code == "NOT_FOUND"
    with pytest.raises(ServingError) as error:
        connect(url(server, protocol), "tiny").predict({"words": TEXTS[:1]})
    assert error.value.code == "INVALID_ARGUMENT" and "text" in error.value.message


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_status_and_metadata(server, protocol):
    client = connect(url(server, protocol), "tiny")
    assert client.input_names() == ["text"]
    status = client.status()
    if protocol == "rest":
        assert [(row["version"], row["state"]) for row in status["model_version_status"]] == [
            ("2", "AVAILABLE"), ("1", "AVAILABLE")]
    else:
        assert sorted(row.version for row in status.model_version_status) == [1, 2]
        assert set(client.signature_defs()["serving_default"].outputs) == {"label", "label_id", "probabilities"}


def test_rest_row_and_columnar_forms(server):
    base = f"http://127.0.0.1:{server.rest_port}/v1/models/tiny"
    rows = requests.post(f"{base}:predict", json={"instances": [{"text": TEXTS[0]}, {"text": TEXTS[1]}]}).json()
    assert [set(p) for p in rows["predictions"]] == [{"label", "label_id", "probabilities"}] * 2
    columns = requests.post(f"{base}/labels/stable:predict", json={"inputs": TEXTS[:2]}).json()
    assert [p["label"] for p in rows["predictions"]] == columns["outputs"]["label"]


def test_every_malformed_request_gets_a_4xx_json_error(server):
    base = f"http://127.0.0.1:{server.rest_port}/v1/models/tiny"
    bodies = malformed_bodies(seed=3, text=TEXTS[0])
    assert len(bodies) > 40
    session = requests.Session()  # one keep-alive connection: an error must not corrupt the next request
    for suffix, body in bodies:
        response = session.post(base + suffix, data=body)
        assert 400 <= response.status_code < 500 and "error" in response.json(), (suffix, body[:60])
        assert session.post(f"{base}:predict", json={"instances": TEXTS[:1]}).status_code == 200
    oversized = session.post(f"{base}:predict", data=b" " * (5 * 1024 * 1024))
    assert oversized.status_code == 413
    assert requests.put(f"{base}:predict", data=b"{}").status_code == 405
    assert requests.get(f"http://127.0.0.1:{server.rest_port}/v2/anything").status_code == 404
    for request_line in (b"FOO /v1/models/tiny HTTP/1.1", b"GET /v1/models/tiny HTTP/3.0", b"nonsense"):
        with socket.create_connection(("127.0.0.1", server.rest_port), timeout=10) as raw:
            raw.sendall(request_line + b"\r\nHost: x\r\n\r\n")
            status_line = raw.recv(4096).split(b"\r\n")[0]
        assert status_line.split()[1][:1] == b"4", (request_line, status_line)


def test_grpc_refuses_wrong_tensor_types(server):
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
    import grpc

    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}"))
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "tiny"
    request.inputs["text"].CopyFrom(tf.make_tensor_proto([1.5, 2.5]))
    with pytest.raises(grpc.RpcError) as error:
        stub.Predict(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_concurrent_requests_are_batched_and_metrics_exported(server):
    before = server.service.metrics.registry.get_sample_value("tfft_serving_batch_size_count", {"model": "tiny"}) or 0
    answers = [None] * 16
    client = connect(url(server, "rest"), "tiny")

    def ask(index):
        answers[index] = client.predict({"text": [TEXTS[index % 3]]})["label"][0]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    alone = client.predict({"text": TEXTS})["label"]
    assert answers == [alone[i % 3] for i in range(16)]
    calls = server.service.metrics.registry.get_sample_value("tfft_serving_batch_size_count", {"model": "tiny"})
    assert calls - before < 16 + 1  # at least two of the 16 one-row requests shared a model call
    exposition = requests.get(f"http://127.0.0.1:{server.rest_port}/monitoring/prometheus/metrics").text
    assert 'tfft_serving_requests_total{method="POST",model="tiny",protocol="rest",status="OK"}' in exposition


def test_short_load_answers_every_valid_request(server):
    result = run_load(f"http://127.0.0.1:{server.rest_port}", "tiny", TEXTS, clients=32, seconds=3,
                      malformed_every=4)
    assert result.valid_sent > 32 and result.malformed_sent > 0
    assert result.valid_failed == 0 and result.malformed_5xx == 0 and result.malformed_other == 0, result.failures


def test_new_versions_load_and_old_ones_unload(trained_tiny, tmp_path):
    root = tmp_path / "rolling"
    shutil.copytree(trained_tiny["result"].export_path, root / "1")
    with ModelServer(config_for_paths([root], keep_versions=1), rest_port=0, grpc_port=None,
                     poll_seconds=0.2) as running:
        client = connect(f"http://127.0.0.1:{running.rest_port}", "rolling")
        assert [row["version"] for row in client.status()["model_version_status"]] == ["1"]
        shutil.copytree(trained_tiny["result"].export_path, root / ".staging")
        (root / ".staging").rename(root / "2")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [r["version"] for r in client.status()["model_version_status"]] != ["2"]:
            time.sleep(0.2)
        assert [row["version"] for row in client.status()["model_version_status"]] == ["2"]
        assert len(client.predict({"text": TEXTS})["label"]) == 3


def test_cli_predict_against_the_server(server, capsys):
    from tfft.cli import main

    for protocol in ("rest", "grpc"):
        assert main(["predict", "--server", url(server, protocol), "tiny", *TEXTS[:2]]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line["text"] for line in lines] == TEXTS[:2] and all("label" in line for line in lines)
    assert main(["predict", "--server", url(server, "rest"), "--version", "9", "tiny", "x"]) == 2
    assert "NOT_FOUND" in capsys.readouterr().err


def test_bundle_configs_parse_with_tf_serving_protos(model_root, tmp_path):
    options = BundleOptions(labels={"tiny": {"stable": 1, "canary": 2}}, batching=BatchingOptions(max_batch_size=16))
    write_bundle([model_root], tmp_path / "bundle", options)
    config = text_format.Parse((tmp_path / "bundle/config/models.config").read_text(), ModelServerConfig())
    model = config.model_config_list.config[0]
    assert (model.name, model.base_path) == ("tiny", "/models/tiny")
    assert list(model.model_version_policy.specific.versions) == [1, 2]
    assert dict(model.version_labels) == {"stable": 1, "canary": 2}
    batching = text_format.Parse((tmp_path / "bundle/config/batching_parameters.txt").read_text(),
                                 BatchingParameters())
    assert batching.max_batch_size.value == 16
    monitoring = text_format.Parse((tmp_path / "bundle/config/monitoring.config").read_text(), MonitoringConfig())
    assert monitoring.prometheus_config.enable
    compose = yaml.safe_load((tmp_path / "bundle/docker-compose.yml").read_text())
    service = next(iter(compose["services"].values()))
    assert service["image"] == f"tensorflow/serving:{tf.__version__}"
    assert (tmp_path / "bundle" / service["volumes"][1].split(":")[0]).resolve() == model_root.resolve()
    manifests = {path.name: yaml.safe_load(path.read_text()) for path in (tmp_path / "bundle/k8s").iterdir()}
    assert {m["kind"] for m in manifests.values()} == {"ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler"}
    container = manifests["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v1/models/tiny"
    assert manifests["configmap.yaml"]["data"]["models.config"] == (tmp_path / "bundle/config/models.config").read_text()


def test_bundle_refuses_to_write_over_files_and_bad_labels(model_root, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("keep")
    with pytest.raises(FileExistsError):
        write_bundle([model_root], tmp_path / "taken")
    assert (tmp_path / "taken" / "mine.txt").read_text() == "keep"
    with pytest.raises(ValueError, match="versions"):
        write_bundle([model_root], tmp_path / "new", BundleOptions(labels={"tiny": {"stable": 7}}))


def test_server_reads_the_bundle_batching_file(tmp_path):
    from tfft.serving.config_protos import read_text_proto

    path = tmp_path / "batching_parameters.txt"
    path.write_text("max_batch_size { value: 4 }\nbatch_timeout_micros { value: 100 }\n")
    options = BatchingOptions.from_proto(read_text_proto(path, BatchingParameters))
    assert (options.max_batch_size, options.batch_timeout_micros, options.num_batch_threads) == (4, 100, 2)
    path.write_text("max_batch_size: 4\n")
    with pytest.raises(ValueError, match="batching_parameters.txt"):
        read_text_proto(path, BatchingParameters)


def test_cli_deploy_writes_the_bundle_and_refuses_bad_labels(model_root, tmp_path, capsys):
    from tfft.cli import main

    assert main(["deploy", str(model_root), "--out", str(tmp_path / "b"), "--label", "tiny:stable=2"]) == 0
    config = text_format.Parse((tmp_path / "b/config/models.config").read_text(), ModelServerConfig())
    assert dict(config.model_config_list.config[0].version_labels) == {"stable": 2}
    assert main(["deploy", str(model_root), "--out", str(tmp_path / "c"), "--label", "stable=2"]) == 2
    assert "MODEL:LABEL=VERSION" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


THREADS_PROBE = """
import tensorflow as tf
from tfft.commands.serve import set_tensorflow_threads
set_tensorflow_threads(1, 3)
print(tf.config.threading.get_intra_op_parallelism_threads(), tf.config.threading.get_inter_op_parallelism_threads())
tf.constant(1.0) + 1.0
try:
    set_tensorflow_threads(2)
except RuntimeError as error:
    print(error)
"""


def test_thread_counts_are_set_before_tensorflow_starts_and_refused_after():
    completed = subprocess.run([sys.executable, "-c", THREADS_PROBE], capture_output=True, text=True, timeout=120,
                               cwd=Path(__file__).resolve().parent.parent)
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = completed.stdout.strip().splitlines()
    assert lines[0] == "1 3"
    assert "set them before any model is loaded" in lines[1]


def test_a_tf_serving_command_line_runs_unchanged(tmp_path):
    from tfft.cli import build_parser
    from tfft.commands.serve import _batching, server_config

    model = tmp_path / "models" / "sentiment"
    (model / "1").mkdir(parents=True)
    batching = tmp_path / "batching_parameters.txt"
    batching.write_text("max_batch_size { value: 16 }\nbatch_timeout_micros { value: 500 }\n")
    args = build_parser().parse_args([
        "serve", "--port=9000", "--rest_api_port=9001", "--model_name=sentiment", f"--model_base_path={model}",
        "--enable_batching=true", f"--batching_parameters_file={batching}", "--tensorflow_intra_op_parallelism=1",
        "--file_system_poll_wait_seconds=5"])
    assert (args.grpc_port, args.rest_port, args.tensorflow_intra_op_parallelism, args.poll_seconds) == (
        9000, 9001, 1, 5.0)
    served = server_config(args).model_config_list.config
    assert [(m.name, m.base_path) for m in served] == [("sentiment", str(model.resolve()))]
    assert (_batching(args).max_batch_size, _batching(args).batch_timeout_micros) == (16, 500)
    assert build_parser().parse_args(["serve", str(model), "--rest_api_port=0"]).rest_port is None  # gRPC only
    assert build_parser().parse_args(["serve", str(model), "--enable_batching"]).enable_batching is True
    assert build_parser().parse_args(["serve", str(model), "--enable_batching=false"]).enable_batching is False
    with pytest.raises(ValueError, match="only one of them"):
        server_config(build_parser().parse_args(["serve", str(model), f"--model_base_path={model}"]))
