"""The contract every registered task keeps, checked from the example recipe in its folder.

For each task: train its example on a tiny random backbone for one optimizer step, export it,
run the export in a process that loads only TensorFlow and tensorflow-text (as TF Serving
does), and evaluate the export. A task that registers itself in `tfft.tasks.TASKS` and ships
``example/config.yaml`` is tested here without a test of its own.
"""

from __future__ import annotations

from pathlib import Path

import keras
import keras_hub
import numpy as np
import pytest

from test_export import pure_tf_outputs
from tfft.backbones import load_backbone, scratch_backbone
from tfft.commands.evaluate import evaluate_export, evaluate_run
from tfft.commands.train import train_and_export
from tfft.config import load_config
from tfft.export.loaded import LoadedExport
from tfft.pretraining.vocabulary import train_byte_level_bpe
from tfft.tasks import TASKS, make_task

TASK_CLASSES = sorted(set(TASKS.values()), key=lambda cls: cls.name)
MAX_POSITIONS = 128
ROWS = 32  # one optimizer step of this many rows


def masked_lm_preset(folder: Path) -> str:
    """A tiny random BERT saved with a masked-LM head, as `tfft pretrain` saves one."""
    loaded = load_backbone("scratch:tiny", MAX_POSITIONS)
    keras_hub.models.BertMaskedLM(loaded.backbone, preprocessor=None).save_to_preset(str(folder))
    loaded.tokenizer.save_to_preset(str(folder))
    return str(folder)


def causal_lm_preset(folder: Path, train_file: str) -> str:
    """A tiny random GPT-2 whose byte-level BPE is trained on the example's training file."""
    tokenizer = train_byte_level_bpe(Path(train_file).read_text(encoding="utf-8").splitlines() * 3, 400)
    scratch_backbone("scratch-gpt2:tiny", tokenizer.vocabulary_size(), MAX_POSITIONS).save_to_preset(str(folder))
    tokenizer.save_to_preset(str(folder))
    return str(folder)


def tiny_backbone(kind: str, folder: Path, train_file: str) -> str:
    if kind == "encoder":
        return "scratch:tiny"
    if kind == "masked_lm":
        return masked_lm_preset(folder)
    if kind == "causal_lm":
        return causal_lm_preset(folder, train_file)
    raise AssertionError(f"no tiny backbone for backbone_kind '{kind}'; add one to {__file__}")


def assert_same_outputs(served: dict, in_process: dict[str, np.ndarray]) -> None:
    assert set(served) == set(in_process)
    for name, values in in_process.items():
        if values.dtype.kind in "OSU":
            decoded = [[v.decode() for v in row] if values.ndim > 1 else row.decode() for row in values]
            assert served[name] == decoded, name
        else:
            np.testing.assert_allclose(np.asarray(served[name], dtype=values.dtype), values, atol=1e-4,
                                       err_msg=name)


@pytest.mark.parametrize("task_class", TASK_CLASSES, ids=lambda cls: cls.name)
def test_a_registered_task_trains_exports_serves_and_evaluates(task_class, tmp_path):
    example = task_class.example_config()
    assert example.is_file(), f"task '{task_class.name}' ships no example recipe: add {example}"
    base = load_config(example)
    backbone = tiny_backbone(task_class.backbone_kind, tmp_path / "backbone", base.data.train)
    keras.utils.set_random_seed(0)
    config = load_config(example, [
        f"model.backbone={backbone}", f"output_dir={tmp_path / 'runs'}", f"export.dir={tmp_path / 'saved'}",
        "training.epochs=1", f"training.batch_size={ROWS}", f"data.train_sample={ROWS}",
        "training.evaluate_before=false", "export.warmup_requests=2", "training.log_every_steps=1"])
    result = train_and_export(config, verbose=0)
    assert result.metrics["training"]["rows"] <= ROWS and len(result.history["loss"]) == 1
    assert (result.export_path / "saved_model.pb").is_file()

    task = make_task(config.task, config.task_options, config.data)
    task.load(result.export_path / "assets.extra")
    inputs = task.serving_examples(task.read(config.data.test), 3)
    served = pure_tf_outputs(result.export_path, inputs)
    assert served.pop("loaded") == []  # no keras-hub, no tfft: what stock TF Serving runs
    assert_same_outputs(served, LoadedExport(result.export_path).predict(inputs))

    from_export = evaluate_export(result.export_path, config.data.test)
    from_run = evaluate_run(result.run_dir, config.data.test)
    metric = task.quality_metric
    assert np.isfinite(from_export.metrics[metric]) and from_export.text
    assert from_export.metrics[metric] == pytest.approx(from_run.metrics[metric], abs=1e-6)
