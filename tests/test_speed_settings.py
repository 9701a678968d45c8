"""Speed settings: mixed precision, XLA with few shapes, steps_per_execution, profiling, LR rule."""

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config

from tfft.backbones import load_backbone
from tfft.config import ConfigError, ModelConfig, TrainingConfig, load_config
from tfft.training.fitting import compile_for_training, effective_learning_rate, pad_multiple
from tfft.hardware import cpu_runs_bfloat16
from tfft.training import precision
from tfft.training.precision import auto_precision, set_precision
from tfft.training.run import train


@pytest.fixture
def restore_policy():
    yield
    set_precision(None)


def tiny_classifier():
    from tfft.tasks.classification.task import ClassificationTask

    task = ClassificationTask({"pooling": "mean"}, None)
    task.vocabulary = ["negative", "positive"]
    loaded = load_backbone("scratch:tiny", 16)
    encoder = task.make_encoder(loaded.tokenizer, 16)
    return task, task.build_model(loaded.backbone, ModelConfig(max_length=16), encoder)


def test_mixed_float16_scales_the_loss_and_keeps_logits_float32(restore_policy):
    assert set_precision("mixed_float16") == "mixed_float16"
    task, model = tiny_classifier()
    compile_for_training(model, TrainingConfig(), 10, task.loss(TrainingConfig()), list,
                         tf.distribute.get_strategy())
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)  # dynamic loss scaling
    x = {"token_ids": np.full((4, 16), 7, "int32"), "segment_ids": np.zeros((4, 16), "int32"),
         "padding_mask": np.ones((4, 16), "int32")}
    assert model(x).dtype == "float32"
    assert any(w.dtype == "float32" for w in model.trainable_weights)  # float32 master weights
    loss = model.train_on_batch(x, keras.utils.to_categorical([0, 1, 0, 1], 2))
    assert np.isfinite(loss)


def test_auto_precision_follows_the_hardware(tmp_path, monkeypatch):
    with_bf16, without = tmp_path / "bf16", tmp_path / "plain"
    with_bf16.write_text("flags\t\t: fpu avx512f avx512_bf16 amx_tile\n")
    without.write_text("flags\t\t: fpu sse2 avx2\n")
    assert cpu_runs_bfloat16(with_bf16) and cpu_runs_bfloat16(without) is False
    assert cpu_runs_bfloat16(tmp_path / "missing") is None
    assert auto_precision() == ("mixed_bfloat16" if cpu_runs_bfloat16() else "float32")  # no GPU here
    monkeypatch.setattr(precision, "gpu_compute_capabilities", lambda: [(9, 0)])  # H100: native bfloat16
    assert auto_precision() == "mixed_bfloat16"
    monkeypatch.setattr(precision, "gpu_compute_capabilities", lambda: [(7, 5)])  # T4: float16 + loss scaling
    assert auto_precision() == "mixed_float16"
    monkeypatch.setattr(precision, "gpu_compute_capabilities", lambda: [])
    monkeypatch.setattr(precision, "cpu_runs_bfloat16", lambda: False)
    assert auto_precision() == "float32"


def test_forcing_bfloat16_on_a_cpu_that_emulates_it_warns_once_with_the_fix(monkeypatch, caplog):
    monkeypatch.setattr(precision, "cpu_runs_bfloat16", lambda: False)
    try:
        with caplog.at_level(logging.WARNING, logger="tfft"):
            assert set_precision("mixed_bfloat16") == "mixed_bfloat16"
            assert set_precision("auto") == "float32"
            assert set_precision(None) == "float32"
        warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
        assert len(warnings) == 1 and "emulated" in warnings[0]
        assert "training.mixed_precision=auto" in warnings[0]
        caplog.clear()
        monkeypatch.setattr(precision, "cpu_runs_bfloat16", lambda: True)
        with caplog.at_level(logging.WARNING, logger="tfft"):
            set_precision("mixed_bfloat16")
        assert not [record for record in caplog.records if record.levelno == logging.WARNING]
    finally:
        set_precision("float32")


def test_learning_rate_rule_is_explicit():
    base = dict(learning_rate=1e-4, batch_size=64, gradient_accumulation_steps=2, reference_batch_size=32)
    assert effective_learning_rate(TrainingConfig(**base)) == pytest.approx(1e-4)
    assert effective_learning_rate(TrainingConfig(**base, learning_rate_scaling="linear")) == pytest.approx(4e-4)
    assert effective_learning_rate(TrainingConfig(**base, learning_rate_scaling="sqrt")) == pytest.approx(2e-4)
    with pytest.raises(ValueError, match="learning_rate_scaling"):
        effective_learning_rate(TrainingConfig(learning_rate_scaling="cubic"))


def test_xla_pads_to_few_shapes_by_default():
    assert pad_multiple(TrainingConfig(jit_compile=True)) == 32
    assert pad_multiple(TrainingConfig()) == 1
    assert pad_multiple(TrainingConfig(jit_compile=True, pad_to_multiple_of=16)) == 16


def test_profile_steps_parse_and_a_malformed_range_is_refused_on_load():
    assert TrainingConfig().profile_range == 0 and TrainingConfig(profile_steps="3,5").profile_range == (3, 5)
    with pytest.raises(ConfigError, match=r"training\.profile_steps='5' is not allowed: expected 'first,last'"):
        load_config(None, ["training.profile_steps='5'"])
    with pytest.raises(ConfigError, match="0 < first <= last"):
        load_config(None, ["training.profile_steps='5,3'"])


def test_xla_accumulation_steps_per_execution_and_a_profile(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files, **{
        "training.jit_compile": True, "training.steps_per_execution": 2,
        "training.gradient_accumulation_steps": 2, "training.batch_size": 4, "training.epochs": 4,
        "training.profile_steps": "3,4"})
    result = train(config, verbose=0)
    training = result.metrics["training"]
    assert training["steps_per_epoch"] == 11  # 86 rows / (4 rows × 2 micro-batches)
    assert training["optimizer_steps"] == 4 * 11
    assert result.metrics["validation"]["after"]["accuracy"] >= 0.9
    assert list((result.run_dir / "logs").rglob("*.xplane.pb"))  # TensorBoard's profiler trace


def test_throughput_counts_the_steps_each_report_covers(monkeypatch):
    from tfft.training import throughput

    clock = iter([0.0, 1.0, 2.0, 3.0, 3.5])  # begin, then one report per 8 steps (steps_per_execution)
    monkeypatch.setattr(throughput.time, "perf_counter", lambda: next(clock))
    meter = throughput.ThroughputMeter(lambda: np.tile([[8, 100]], (20, 1)), skip_steps=8)
    meter.on_train_begin()
    for last_step in (7, 15, 19):
        meter.on_train_batch_end(last_step)
    meter.on_epoch_end(0)
    meter.on_train_batch_end(7)  # the next epoch is not timed
    result = meter.result()
    assert result["measured_steps"] == 12  # steps 9..20, timed from the report after step 8
    assert result["tokens_per_second"] == pytest.approx(12 * 100 / 2.0)
    assert result["first_step_seconds"] == 1.0
