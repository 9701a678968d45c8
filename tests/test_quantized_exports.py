"""Quantized exports (int8 weights, bfloat16 serving kernels) are smaller, agree with float, serve in pure TF."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from conftest import sentiment_rows
from test_export import pure_tf_outputs
from tfft.backbones import load_backbone
from tfft.export.from_run import export_run
from tfft.export.quantize import cpu_runs_bfloat16, prepare_for_export
from tfft.training.trained_model import load_trained_model

TEXTS = [text for text, _ in sentiment_rows(24, 2)]


def weights_bytes(export: Path) -> int:
    return sum(f.stat().st_size for f in (Path(export) / "variables").iterdir())


def product_dtypes(export: Path) -> set[str]:
    """The dtypes of every MatMul in the saved graph."""
    saved = saved_model_pb2.SavedModel.FromString((Path(export) / "saved_model.pb").read_bytes())
    functions = saved.meta_graphs[0].graph_def.library.function
    return {tf.as_dtype(node.attr["T"].type).name for f in functions for node in f.node_def if node.op == "MatMul"}


@pytest.fixture(scope="module")
def float_export(trained_tiny, tmp_path_factory) -> Path:
    return export_run(trained_tiny["result"].run_dir, tmp_path_factory.mktemp("q") / "tiny")


def test_int8_export_is_smaller_and_runs_in_pure_tensorflow(trained_tiny, float_export, tmp_path):
    int8_path = export_run(trained_tiny["result"].run_dir, tmp_path / "tiny", quantization="int8")
    # The weights shrink ~3.5x; a tiny model's graph and vocabulary (not weights) keep the total higher.
    assert weights_bytes(int8_path) < weights_bytes(float_export) / 3
    assert json.loads((int8_path / "assets.extra" / "tfft.json").read_text())["quantization"] == "int8"
    served, reference = pure_tf_outputs(int8_path, TEXTS), pure_tf_outputs(float_export, TEXTS)
    assert served["loaded"] == []  # no keras / keras-hub / tfft needed to serve it
    agree = sum(a == b for a, b in zip(reference["label"], served["label"]))
    assert agree >= 0.9 * len(TEXTS)


def test_bfloat16_export_serves_frozen_bfloat16_kernels_in_pure_tensorflow(trained_tiny, float_export, tmp_path):
    bf16_path = export_run(trained_tiny["result"].run_dir, tmp_path / "tiny", quantization="bfloat16")
    assert json.loads((bf16_path / "assets.extra" / "tfft.json").read_text())["quantization"] == "bfloat16"
    assert product_dtypes(float_export) == {"float32"}
    assert "bfloat16" in product_dtypes(bf16_path)
    # The encoder's kernels and biases live in the graph as bfloat16 constants, its layer norms as float32
    # constants; their variables are not saved.
    backbone = load_trained_model(trained_tiny["result"].run_dir).backbone
    frozen = sum(int(np.prod(v.shape)) for v in backbone.weights if "transformer_layer" in v.path)
    assert weights_bytes(float_export) - weights_bytes(bf16_path) >= 4 * frozen * 0.95
    served, reference = pure_tf_outputs(bf16_path, TEXTS), pure_tf_outputs(float_export, TEXTS)
    assert served["loaded"] == []
    difference = np.abs(np.asarray(served["probabilities"]) - np.asarray(reference["probabilities"]))
    assert 0 < difference.max() <= 0.02  # bfloat16 rounding: close, and not the float32 graph
    assert served["label"] == reference["label"]


def test_bfloat16_hardware_is_read_from_the_cpu_flags(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n\nprocessor\t: 1\nflags\t\t: fpu avx2 avx512f\n")
    assert cpu_runs_bfloat16(cpuinfo) is False
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 amx_tile\n")
    assert cpu_runs_bfloat16(cpuinfo) is True
    assert cpu_runs_bfloat16(tmp_path / "missing") is None  # not Linux: no opinion, no warning


def test_a_bfloat16_export_on_a_cpu_without_bfloat16_warns_and_goes_on(monkeypatch):
    import tfft.export.quantize as quantize

    backbone = load_backbone("scratch:tiny").backbone
    monkeypatch.setattr(quantize, "cpu_runs_bfloat16", lambda: False)
    with pytest.warns(UserWarning, match="AVX512_BF16"):
        assert prepare_for_export(backbone, "bfloat16") == "bfloat16"
    monkeypatch.setattr(quantize, "cpu_runs_bfloat16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert prepare_for_export(backbone, "bfloat16") == "bfloat16"
