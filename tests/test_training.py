"""Tiny end-to-end runs: learning, logs, checkpoints, resume, no clobbering, options."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tfft.config import ModelConfig, TrainingConfig
from tfft.backbones import load_backbone
from tfft.training.freezing import apply_freezing
from tfft.training.optimizers import build_optimizer
from tfft.commands.train import train_and_export
from tfft.training.schedules import WarmupDecay

from conftest import tiny_config, write_csv


def tags(folder):
    found = {}
    for events in folder.rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"tensors": 0, "images": 0})
        accumulator.Reload()
        for kind, names in accumulator.Tags().items():
            if isinstance(names, list):
                found.setdefault(kind, set()).update(names)
    return found


def test_run_learns_logs_and_writes_everything(trained_tiny):
    result = trained_tiny["result"]
    metrics = result.metrics
    before, after = metrics["validation"]["before"], metrics["validation"]["after"]
    assert after["accuracy"] >= 0.9 and after["accuracy"] > before["accuracy"]
    assert metrics["test"]["accuracy"] >= 0.9
    assert set(after["per_class"]) == {"negative", "positive"}
    run = result.run_dir
    for name in ["config.yaml", "labels.json", "metrics.json", "metrics_before.json", "DONE",
                 "validation_confusion_matrix.png", "test_report.txt", "model.weights.h5"]:
        assert (run / name).is_file(), name
    assert json.loads((run / "labels.json").read_text())["labels"] == ["negative", "positive"]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch-02.weights.h5", "epoch-03.weights.h5"]
    assert not (run / "backup").exists()  # deleted once training finished
    found = tags(run / "logs")
    scalars = found.get("scalars", set()) | found.get("tensors", set())
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "step_learning_rate"} <= scalars
    assert any(tag.startswith("batch_") for tag in scalars)  # per-step training metrics
    assert "confusion_matrix" in scalars or "confusion_matrix" in found.get("images", set())
    assert (run / "logs" / "hparams").is_dir()
    throughput = metrics["training"]["throughput_first_epoch"]
    assert throughput["examples_per_second"] > 0 and throughput["tokens_per_second"] > throughput["examples_per_second"]


def test_weight_files_hold_no_optimizer_state(trained_tiny):
    run = trained_tiny["result"].run_dir
    model_file = (run / "model.weights.h5").stat().st_size
    params = 1_019_682 * 4  # scratch:tiny + 2-class head, float32
    assert model_file < params * 1.3


def test_second_run_with_same_name_goes_to_new_folder(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files, **{"training.epochs": 1, "training.evaluate_before": False})
    first = train_and_export(config, verbose=0)
    second = train_and_export(config, verbose=0)
    assert first.run_dir.name == "tiny" and second.run_dir.name == "tiny-2"
    assert first.export_path.name == "1" and second.export_path.name == "2"
    assert (first.run_dir / "DONE").is_file()


class Crash(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("killed")


def test_resume_after_kill_continues_at_next_epoch(tmp_path, sentiment_files, monkeypatch):
    from tfft.training import run as run_module

    config = tiny_config(tmp_path, sentiment_files, **{"training.epochs": 4})
    original = run_module._callbacks
    monkeypatch.setattr(run_module, "_callbacks", lambda *a: original(*a) + [Crash()])
    with pytest.raises(KeyboardInterrupt):
        train_and_export(config, verbose=0)
    run_dir = tmp_path / "runs" / "tiny"
    assert (run_dir / "backup").is_dir() and not (run_dir / "DONE").exists()
    monkeypatch.setattr(run_module, "_callbacks", original)
    result = train_and_export(config, verbose=0)
    assert result.run_dir == run_dir  # same folder, not tiny-2
    assert result.metrics["training"]["resumed"] is True
    assert result.metrics["training"]["epochs_run"] == 2  # epochs 3 and 4 only
    assert result.metrics["validation"]["before"] == json.loads((run_dir / "metrics_before.json").read_text())


class CrashAtStep(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == 17:
            raise KeyboardInterrupt("killed mid-epoch")


def test_resume_mid_epoch_continues_at_the_last_backup_step(tmp_path, sentiment_files, monkeypatch):
    from tfft.training import run as run_module

    config = tiny_config(tmp_path, sentiment_files, **{
        "training.epochs": 3, "training.backup_every_steps": 5, "training.evaluate_before": False})
    original = run_module._callbacks
    monkeypatch.setattr(run_module, "_callbacks", lambda *a: original(*a) + [CrashAtStep()])
    with pytest.raises(KeyboardInterrupt):
        train_and_export(config, verbose=0)
    monkeypatch.setattr(run_module, "_callbacks", original)
    run_dir = tmp_path / "runs" / "tiny"
    first_logs = set((run_dir / "logs" / "train").glob("events.out.tfevents.*"))
    training = train_and_export(config, verbose=0).metrics["training"]
    # Backups at steps 5, 10, 11 (epoch end), 16: the crash at 17 loses one step.
    assert training["steps_per_epoch"] == 11
    assert training["resumed_at_step"] == 16 and training["optimizer_steps"] == 33
    assert training["epochs_run"] == 2  # the rest of epoch 2, then epoch 3
    resumed_logs = set((run_dir / "logs" / "train").glob("events.out.tfevents.*")) - first_logs
    steps = {event.step for path in resumed_logs for event in tf.compat.v1.train.summary_iterator(str(path))
             for value in event.summary.value if value.tag == "batch_loss"}
    assert steps and min(steps) > 16 and max(steps) <= 33  # TensorBoard curves continue, not restart


def test_a_run_still_training_is_not_resumed_by_a_second_process(tmp_path, sentiment_files):
    import socket
    import subprocess

    from tfft.run_folder import RunFolder

    config = tiny_config(tmp_path, sentiment_files)
    folder, _, _ = RunFolder.prepare(config)
    folder.backup.mkdir(parents=True)  # as if it had trained an epoch: a second process would resume it
    folder.lock.write_text(f"1 {socket.gethostname()}\n")  # pid 1 is always alive
    with pytest.raises(RuntimeError, match=r"is being trained by process 1 .*delete RUNNING"):
        RunFolder.prepare(config)
    finished = subprocess.Popen(["true"])
    finished.wait()
    folder.lock.write_text(f"{finished.pid} {socket.gethostname()}\n")  # that process is gone
    again, _, resumed = RunFolder.prepare(config)
    assert again.path == folder.path and resumed
    assert folder.lock.read_text().split()[0] == str(os.getpid())
    folder.mark_done()
    assert not folder.lock.exists()


def summaries_per_tag(folder) -> dict[str, int]:
    counts = {}
    for events in folder.rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                counts[value.tag] = counts.get(value.tag, 0) + 1
    return counts


def test_epoch_curves_are_logged_whatever_the_step_count(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files, **{
        "training.epochs": 2, "training.log_every_steps": 5, "training.evaluate_before": False,
        "export.enabled": False})
    result = train_and_export(config, verbose=0)
    steps = result.metrics["training"]["steps_per_epoch"]
    assert (steps % 5) and (2 * steps % 5)  # no epoch ends on a logged step: where Keras alone records nothing
    train_logs, validation_logs = (summaries_per_tag(result.run_dir / "logs" / part) for part in ("train", "validation"))
    assert train_logs["epoch_loss"] == train_logs["epoch_learning_rate"] == 2
    assert validation_logs["epoch_loss"] == validation_logs["epoch_accuracy"] == 2
    assert validation_logs["confusion_matrix"] == 2


def test_early_stopping_restores_best_weights(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files, **{
        "training.epochs": 6, "training.early_stopping_patience": 1, "training.monitor": "val_loss",
        "training.learning_rate": 0.05, "training.evaluate_before": False, "export.enabled": False})
    result = train_and_export(config, verbose=0)
    losses = result.history["val_loss"]
    if len(losses) < 6:  # stopped early: final weights are the best epoch's
        best = min(losses)
        assert result.metrics["validation"]["after"]["examples"] > 0
        assert np.argmin(losses) < len(losses) - 1 and best <= losses[-1]


def test_multi_label_with_class_weights(tmp_path):
    rows = [("great food and slow delivery", "food|delivery"), ("cold food", "food"),
            ("late delivery", "delivery"), ("rude staff", "staff"), ("friendly staff, tasty food", "staff|food")] * 12
    files = {"train": write_csv(tmp_path / "ml.csv", ["text", "label"], rows),
             "test": write_csv(tmp_path / "ml_test.csv", ["text", "label"], rows[:10])}
    config = tiny_config(tmp_path, files, **{"task_options.multi_label": True, "training.class_weights": "balanced",
                                             "training.epochs": 6, "training.monitor": "val_macro_f1"})
    result = train_and_export(config, verbose=0)
    assert result.metrics["test"]["micro_f1"] > 0.8
    exported = tf.saved_model.load(str(result.export_path)).signatures["serving_default"]
    out = exported(text=tf.constant(["friendly staff, tasty food"]))
    assert out["probabilities"].shape == (1, 3)
    assert set(out["label"].numpy()[0].decode().split("|")) == {"food", "staff"}


def test_pair_classification_export_takes_text_pair(tmp_path):
    rows = [(f"is it {w}", f"it is {w}", "yes") for w in ["red", "big", "old", "new"]] * 8 + \
           [(f"is it {w}", f"it is {v}", "no") for w, v in [("red", "blue"), ("big", "small"), ("old", "new"), ("new", "old")]] * 8
    files = {"train": write_csv(tmp_path / "p.csv", ["question", "passage", "label"], rows),
             "test": write_csv(tmp_path / "pt.csv", ["question", "passage", "label"], rows[:8])}
    config = tiny_config(tmp_path, files, **{"data.text_column": "question", "data.text_pair_column": "passage",
                                             "training.epochs": 1, "training.evaluate_before": False})
    result = train_and_export(config, verbose=0)
    signature = tf.saved_model.load(str(result.export_path)).signatures["serving_default"]
    assert sorted(signature.structured_input_signature[1]) == ["text", "text_pair"]
    out = signature(text=tf.constant(["is it red"]), text_pair=tf.constant(["it is red"]))
    assert out["label"].numpy()[0] in (b"yes", b"no")


def test_freezing_modes():
    loaded = load_backbone("scratch:mini")
    apply_freezing(loaded.backbone, ModelConfig(freeze="backbone"))
    assert loaded.backbone.trainable_weights == []
    apply_freezing(loaded.backbone, ModelConfig(freeze="top_k", train_top_layers=1))
    trainable = {w.path.split("/")[0] for w in loaded.backbone.trainable_weights}
    assert trainable == {"transformer_layer_3", "pooled_dense"}
    apply_freezing(loaded.backbone, ModelConfig(freeze="embeddings"))
    frozen = {w.path for w in loaded.backbone.non_trainable_weights}
    assert frozen == {"token_embedding/embeddings"}
    apply_freezing(loaded.backbone, ModelConfig(freeze="none"))
    assert len(loaded.backbone.trainable_weights) == len(loaded.backbone.weights)
    with pytest.raises(ValueError, match="train_top_layers"):
        apply_freezing(loaded.backbone, ModelConfig(freeze="top_k", train_top_layers=9))


def test_schedule_warms_up_then_decays_to_zero():
    linear = WarmupDecay(1e-3, warmup_steps=10, total_steps=100, decay="linear")
    values = [float(linear(step)) for step in range(100)]
    assert values[0] == pytest.approx(1e-4) and values[9] == pytest.approx(1e-3)
    assert values[54] == pytest.approx(5e-4, rel=0.02) and values[99] == pytest.approx(0.0, abs=1e-9)
    cosine = WarmupDecay(1e-3, warmup_steps=0, total_steps=100, decay="cosine")
    assert float(cosine(49)) == pytest.approx(5e-4, rel=0.02)
    with pytest.raises(ValueError):
        WarmupDecay(1e-3, 0, 10, decay="step")


def test_adamw_skips_decay_on_layer_norm_and_bias():
    loaded = load_backbone("scratch:tiny")
    optimizer = build_optimizer(TrainingConfig(), total_steps=10)
    optimizer.build(loaded.backbone.trainable_variables)
    decayed = {v.path for v in loaded.backbone.trainable_variables if optimizer._use_weight_decay(v)}
    assert any(path.endswith("kernel") for path in decayed)
    assert not any(path.endswith(("bias", "gamma", "beta")) for path in decayed)


def test_clipping_measures_a_sparse_gradient_by_its_summed_rows():
    # Row 1 appears twice: the true gradient row is 3 + 4 = 7, norm 7 (not sqrt(9 + 16) = 5).
    sparse = tf.IndexedSlices(tf.constant([[3.0], [4.0]]), tf.constant([1, 1]), tf.constant([3, 1]))
    optimizer = build_optimizer(TrainingConfig(clip_norm=1.0), total_steps=10)
    (clipped,) = optimizer._clip_gradients([sparse])
    assert np.allclose(tf.convert_to_tensor(clipped).numpy(), [[0.0], [1.0], [0.0]])
