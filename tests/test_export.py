"""The export is what TF Serving needs: layout, signature, op set, size, warm-up, versions."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfft.export.loaded import LoadedExport
from tfft.export.saved_model import Endpoint, export_saved_model, input_signature
from tfft.export.versions import ExportExistsError
from tfft.export.warmup import read_warmup_requests
from tfft.tasks import make_task
from tfft.training.trained_model import load_trained_model

HERE = Path(__file__).parent
TEXTS = ["the hotel was superb", "the meal was dreadful", "a phone", "x " * 40]


def in_process_probabilities(run_dir, texts):
    trained = load_trained_model(run_dir)
    token_ids, segment_ids = trained.encoder.encode(tf.constant(texts))
    logits = trained.model(trained.encoder.model_inputs(token_ids, segment_ids), training=False)
    return tf.nn.softmax(logits).numpy()


def pure_tf_outputs(export_dir, inputs, signature="serving_default"):
    """Outputs of ``signature`` run in a process that imports only TF and tf-text."""
    completed = subprocess.run(
        [sys.executable, str(HERE / "pure_tf_predict.py"), str(export_dir), json.dumps(inputs), signature],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_layout_and_signature(trained_tiny):
    export = trained_tiny["result"].export_path
    assert export.parent.name == "tiny" and export.name == "1"
    assert (export / "saved_model.pb").is_file() and (export / "variables").is_dir()
    assert not list(export.parent.glob(".staging*"))
    signature = tf.saved_model.load(str(export)).signatures["serving_default"]
    inputs = signature.structured_input_signature[1]
    assert list(inputs) == ["text"] and inputs["text"].dtype == tf.string and inputs["text"].shape.as_list() == [None]
    outputs = signature.structured_outputs
    assert outputs["label"].dtype == tf.string and outputs["label_id"].dtype == tf.int32
    assert outputs["probabilities"].dtype == tf.float32


def test_pure_tf_process_matches_in_process_model(trained_tiny):
    export = trained_tiny["result"].export_path
    served = pure_tf_outputs(export, TEXTS)
    assert served["loaded"] == []  # neither keras-hub nor tfft was needed
    expected = in_process_probabilities(trained_tiny["result"].run_dir, TEXTS)
    assert np.abs(np.asarray(served["probabilities"]) - expected).max() <= 1e-5
    assert served["label"] == [["negative", "positive"][i] for i in expected.argmax(-1)]


def attention_products(task, model, encoder) -> list[list]:
    """Output shapes of the export graph's batched matmuls: attention scores and context, per layer."""
    endpoint = Endpoint("serving_default", model, encoder, task)
    graph = tf.function(endpoint.function(), input_signature=input_signature(task)).get_concrete_function().graph
    return [op.outputs[0].shape.as_list() for op in graph.get_operations() if op.type == "BatchMatMulV2"]


def test_only_a_cls_pooled_classifier_exports_its_last_layer_for_one_row(trained_tiny):
    run_dir = trained_tiny["result"].run_dir
    trained = load_trained_model(run_dir, for_export=True)
    heads, dim = trained.backbone.get_config()["num_heads"], trained.backbone.get_config()["hidden_dim"]
    layers = trained.backbone.get_config()["num_layers"]
    every_row = [[None, heads, None, None], [None, heads, None, dim // heads]] * layers
    assert trained.task.pooling == "mean"
    assert attention_products(trained.task, trained.model, trained.encoder) == every_row
    cls_task = make_task("classification", {"pooling": "cls"}, trained.config.data)
    cls_task.load(run_dir)
    cls_model = cls_task.build_model(trained.backbone, trained.config.model, trained.encoder)
    one_row = [[None, heads, 1, None], [None, heads, 1, dim // heads]]
    assert attention_products(cls_task, cls_model, trained.encoder) == every_row[:-2] + one_row


def test_size_is_about_the_weights(trained_tiny):
    export = trained_tiny["result"].export_path
    weights = sum(p.stat().st_size for p in (export / "variables").iterdir())
    n_params = load_trained_model(trained_tiny["result"].run_dir).model.count_params()
    assert weights < n_params * 4 * 1.15  # no optimizer slots, no duplicated variables


def test_warmup_records_are_prediction_logs(trained_tiny):
    export = trained_tiny["result"].export_path
    requests = read_warmup_requests(export / "assets.extra" / "tf_serving_warmup_requests")
    assert [r.inputs["text"].tensor_shape.dim[0].size for r in requests] == [1, 4]
    assert requests[0].model_spec.signature_name == "serving_default"
    assert requests[0].model_spec.name == "tiny"


def test_versions_never_overwrite(trained_tiny, tmp_path):
    trained = load_trained_model(trained_tiny["result"].run_dir)
    root = tmp_path / "models" / "tiny"
    first = export_saved_model(trained.model, trained.encoder, trained.task, root)
    second = export_saved_model(trained.model, trained.encoder, trained.task, root)
    assert (first.name, second.name) == ("1", "2")
    before = (first / "saved_model.pb").stat().st_mtime_ns
    with pytest.raises(ExportExistsError, match="never overwritten"):
        export_saved_model(trained.model, trained.encoder, trained.task, root, version=1)
    assert (first / "saved_model.pb").stat().st_mtime_ns == before
    assert sorted(p.name for p in root.iterdir()) == ["1", "2"]


def test_loaded_export_predicts_and_describes(trained_tiny):
    exported = LoadedExport(trained_tiny["result"].export_path.parent)  # model folder: newest version
    outputs = exported.predict({"text": TEXTS}, batch_size=3)
    assert outputs["probabilities"].shape == (4, 2)
    assert np.allclose(outputs["probabilities"].sum(-1), 1.0, atol=1e-5)
    assert exported.metadata["task"] == "classification"
    assert exported.metadata["config"]["name"] == "tiny"
