"""Score a finished run or an export on a labelled file (``tfft evaluate``).

Both paths compute the same task report; the export path runs the SavedModel's
``serving_default`` on raw strings, exactly as TF Serving would.

Example:

>>> report = evaluate_export(Path("saved_models/support-intents"), "test.csv")
>>> report.metrics["accuracy"]
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from tfft.config import DataConfig, config_from_dict
from tfft.export.loaded import LoadedExport
from tfft.tasks import make_task
from tfft.tasks.base import Report
from tfft.trained_model import load_trained_model

AdjustData = Callable[[DataConfig], DataConfig]
AlterExamples = Callable[[object], object]  # e.g. perturbed texts for a robustness check


def _unchanged(examples):
    return examples


def evaluate_run(run_dir: Path, data_path: str, adjust: AdjustData = lambda d: d,
                 alter: AlterExamples = _unchanged) -> Report:
    from tfft.training.run import evaluate_split

    trained = load_trained_model(run_dir)
    data = adjust(dataclasses.replace(trained.config.data))
    trained.task.data = data
    split = trained.task.encode(trained.encoder, alter(trained.task.read(data_path)))
    return evaluate_split(trained.model, trained.task, trained.encoder, split)


def evaluate_export(export_dir: Path, data_path: str, adjust: AdjustData = lambda d: d,
                    alter: AlterExamples = _unchanged) -> Report:
    exported = LoadedExport(export_dir)
    if "config" not in exported.metadata:
        raise FileNotFoundError(f"{exported.path} has no assets.extra/tfft.json; was it written by tfft?")
    config = config_from_dict(exported.metadata["config"], str(exported.path))
    data = adjust(config.data)
    task = make_task(config.task, config.task_options, data)
    task.load(exported.path / "assets.extra")
    examples = alter(task.read(data_path))
    outputs = exported.predict(task.serving_examples(examples, len(examples)))
    return task.report(examples, task.predictions_from_outputs(outputs))
