"""MirroredStrategy on two logical CPUs gives one device's training; strategy choice; tf.data service."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_overrides

from tfft.config import ConfigError, load_config
from tfft.data.pipeline import EncodedSplit, training_dataset
from tfft.training.fitting import numeric_only
from tfft.training.strategy import is_chief, make_strategy

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
    from tfft.config import load_config
    from tfft.commands.train import train_and_export
    result = train_and_export(load_config(None, json.loads(sys.argv[2])), verbose=0)
    print(json.dumps({"history": result.history, "metrics": result.metrics,
                      "export": str(result.export_path)}))
""")


def run_in_subprocess(overrides: list[str]) -> dict:
    completed = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), json.dumps(overrides)],
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_mirrored_on_two_cpus_follows_the_one_device_loss_trajectory(tmp_path, sentiment_files,
                                                                     dropout_free_preset):
    runs = {}
    for distribute in ("none", "mirrored"):
        runs[distribute] = run_in_subprocess(tiny_overrides(tmp_path / distribute, sentiment_files, **{
            "training.distribute": distribute, "training.epochs": 3, "model.dropout": 0.0,
            "model.backbone": str(dropout_free_preset)}))
    one, two = runs["none"], runs["mirrored"]
    assert one["metrics"]["training"]["replicas"] == 1 and two["metrics"]["training"]["replicas"] == 2
    # Tolerance: float32 sums in another order, over 36 steps.
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=1e-4)
    np.testing.assert_allclose(two["history"]["val_loss"], one["history"]["val_loss"], rtol=1e-4)
    # Metrics count every replica's rows: per-epoch accuracy matches one device's exactly.
    assert two["history"]["accuracy"] == pytest.approx(one["history"]["accuracy"], abs=1e-6)
    assert one["history"]["loss"][-1] < one["history"]["loss"][0]
    assert (Path(two["export"]) / "saved_model.pb").is_file()


def test_default_strategy_choice_and_errors(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    strategy = make_strategy("auto")  # no GPUs, no TPU, no cluster here
    assert strategy.num_replicas_in_sync == 1 and is_chief(strategy)
    with pytest.raises(ConfigError, match=r"training\.distribute='horovod' is not allowed: expected one of auto"):
        load_config(None, ["training.distribute=horovod"])
    with pytest.raises(ValueError, match="needs TF_CONFIG"):
        make_strategy("multi_worker")
    with pytest.raises(RuntimeError, match="no TPU could be reached.*TPU_NAME"):
        make_strategy("tpu")


def tiny_split(rows: int = 40) -> EncodedSplit:
    lengths = np.arange(rows) % 5 + 2
    ids = tf.RaggedTensor.from_row_lengths(np.arange(lengths.sum(), dtype="int32") % 97 + 1, lengths)
    return EncodedSplit(ids, None, np.arange(rows, dtype="int32"), None)


def test_tf_data_service_gives_the_local_pipelines_examples():
    dispatcher = tf.data.experimental.service.DispatchServer(
        tf.data.experimental.service.DispatcherConfig(port=0))
    worker = tf.data.experimental.service.WorkerServer(
        tf.data.experimental.service.WorkerConfig(dispatcher_address=dispatcher.target.split("://")[1]))
    split = tiny_split()
    local = training_dataset(split, 8, seed=4, epochs=2)
    served = training_dataset(split, 8, seed=4, epochs=2, service=dispatcher.target)
    assert served.cardinality().numpy() == local.cardinality().numpy() == 10
    for (local_x, local_y), (served_x, served_y) in zip(local, served, strict=True):
        assert local_y.numpy().tolist() == served_y.numpy().tolist()
        assert (local_x["token_ids"].numpy() == served_x["token_ids"].numpy()).all()
    worker.stop()
    dispatcher.stop()


def test_string_tensors_never_reach_the_device():
    assert numeric_only(training_dataset(tiny_split(), 8, seed=0)) is not None
    texts = tf.data.Dataset.from_tensors(({"text": tf.constant(["a"]), "ids": tf.constant([1])}, tf.constant([0])))
    with pytest.raises(ValueError, match="string tensor at 0/text.*tokenize in the input pipeline"):
        numeric_only(texts)


def test_in_batch_negatives_span_both_replicas(tmp_path, dropout_free_preset):
    from tfft.tasks.embedding.task import EmbeddingTask

    example = EmbeddingTask.example_config().parent
    files = {"train": example / "train.csv", "test": example / "test.csv"}
    runs = {}
    for distribute in ("none", "mirrored"):
        runs[distribute] = run_in_subprocess(tiny_overrides(tmp_path / distribute, files, **{
            "task": "embedding", "data.text_column": "question", "data.text_pair_column": "answer",
            "data.validation": str(files["test"]), "training.distribute": distribute, "training.epochs": 2,
            "model.dropout": 0.0, "model.backbone": str(dropout_free_preset), "training.learning_rate": 1e-3}))
    one, two = runs["none"], runs["mirrored"]
    assert two["metrics"]["training"]["replicas"] == 2
    # Each replica ranks its 4 anchors against all 8 positives of the batch, as one device does;
    # with per-replica negatives the loss would be that of 4 candidates.
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=1e-4)
    np.testing.assert_allclose(two["history"]["val_mrr@10"], one["history"]["val_mrr@10"], atol=1e-5)
