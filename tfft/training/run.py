"""One training run, end to end: data → tf.data → fit → evaluation → the saved run.

Nothing here knows which task it runs; the task module supplies targets, the
head, loss, metrics, reports and serving outputs. Exporting the finished run
is the caller's step (`tfft train` does it with `tfft.export.from_run.export_run`).

Example:

>>> from tfft.config import load_config
>>> result = train(load_config("tfft/sample_data/support_intents/config.yaml"))
>>> result.metrics["validation"]["after"]["accuracy"]
0.95
"""

from __future__ import annotations

import logging
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import keras
import tensorflow as tf

from tfft.backbones import encoder_length, keep_lower_layers, load_backbone
from tfft.config import RunConfig
from tfft.data.pipeline import EncodedSplit, count_batches, inference_dataset, training_dataset
from tfft.training.run_data import DataSplits, load_splits
from tfft.data.back_translation import Translate
from tfft.data.readers import TextExamples
from tfft.peft import add_adapter, is_enabled, trainable_summary
from tfft.peft.callbacks import peft_callbacks
from tfft.peft.checkpoint import save_adapter
from tfft.run_folder import RunFolder
from tfft.tasks import Task, make_task
from tfft.evaluation.report import headline_numbers
from tfft.tasks.base import Report
from tfft.training.trained_model import TrainedModel, save_trained_model
from tfft.training.distillation import DistillationLoss, check_teacher, load_teacher
from tfft.training.freezing import apply_freezing
from tfft.training.gradient_methods import make_gradient_method
from tfft.training.hparams import log_hparams
from tfft.training.backup import ResumePoint
from tfft.training.fitting import compile_for_training, fit_run, pad_multiple, rows_per_step
from tfft.training.precision import set_precision
from tfft.training.run_callbacks import early_stopping, folder_callbacks
from tfft.training.strategy import is_chief, make_strategy
from tfft.training.worker_folder import open_run_folder

logger = logging.getLogger(__name__)

EVAL_BATCH_SIZE = 64


@dataclass
class RunResult:
    """Where a finished run put things, and what it measured."""

    run_dir: Path
    metrics: dict[str, Any]
    history: dict[str, list] = field(default_factory=dict)
    example_inputs: dict[str, str] = field(default_factory=dict)  # for the printed `tfft predict` example
    chief: bool = True  # the worker that writes shared outputs (always, without multi-worker training)
    export_path: Path | None = None  # filled in by whoever exports the run afterwards (`tfft train`)


def log(message: str) -> None:
    logger.info(message)


def evaluate_split(model: keras.Model, task: Task, encoder, split: EncodedSplit) -> Report:
    """The task's report on ``split``, from in-process served-form predictions."""
    return task.report(split.examples, task.predict(model, encoder, split))


def _callbacks(config: RunConfig, folder: RunFolder, task: Task, encoder, validation: EncodedSplit,
               peft: list) -> list:
    training = config.training
    evaluate = lambda model: evaluate_split(model, task, encoder, validation)  # noqa: E731
    # Task callbacks come first: they may add validation metrics to the epoch
    # logs that TensorBoard and early stopping then see.
    return [
        *peft,
        *task.callbacks(validation, evaluate, folder.logs, encoder),
        *folder_callbacks(folder, training),
        *early_stopping(training, training.monitor or task.monitor),
    ]


def _before_metrics(config, folder, model, task, encoder, validation) -> dict | None:
    if folder.metrics_before.is_file():  # resumed: the untrained model is gone
        return json.loads(folder.metrics_before.read_text())
    if not config.training.evaluate_before:
        return None
    log("evaluating before fine-tuning ...")
    report = evaluate_split(model, task, encoder, validation)
    folder.metrics_before.write_text(json.dumps(report.metrics, indent=2))
    return report.metrics


def _load_data(config: RunConfig, folder: RunFolder, task: Task, translators) -> DataSplits:
    splits = load_splits(config.data, task, split_seed(config), translators)
    skipped = splits.skip_summaries()
    if skipped:
        folder.skipped_rows.write_text("\n".join(skipped) + "\n", encoding="utf-8")
        for line in skipped:
            log(line)
    if splits.augmented:  # which training rows are made up, and from which original
        source_lines = splits.train.lines
        folder.augmented_rows.write_text("".join(
            json.dumps({"source_line": source_lines[row.source_index], "operation": row.operation,
                        "text": row.text, **({"text_pair": row.pair} if row.pair is not None else {})},
                       ensure_ascii=False) + "\n" for row in splits.augmented), encoding="utf-8")
    return splits


def split_seed(config: RunConfig) -> int:
    """The held-out split's seed: members of an ensemble vary training.seed but share this."""
    return config.training.seed if config.data.split_seed is None else config.data.split_seed


def _build_model(config: RunConfig, task: Task, strategy: tf.distribute.Strategy, init_run: RunFolder | None):
    log(f"loading backbone {config.model.backbone} ...")
    with strategy.scope():
        loaded = load_backbone(config.model.backbone, config.model.max_length)
        if config.model.num_layers:
            loaded.backbone = keep_lower_layers(loaded.backbone, config.model.num_layers)
        encoder = task.make_encoder(loaded.tokenizer, encoder_length(loaded.backbone, config.model.max_length))
        _choose_trainable(loaded.backbone, config)
        model = task.build_model(loaded.backbone, config.model, encoder)
        task.load_pretrained_head(config.model)
        if init_run:
            model.load_weights(init_run.weights)
    return loaded, model, encoder


def _distillation_loss(training, task: Task, strategy: tf.distribute.Strategy,
                       teacher_run: RunFolder | None) -> DistillationLoss | None:
    if teacher_run is None:
        return None
    settings = training.distillation
    log(f"distilling from {teacher_run.path} (temperature {settings.temperature}, alpha {settings.alpha}) ...")
    with strategy.scope():
        teacher = load_teacher(teacher_run)
    return DistillationLoss(teacher, task.soft_target_loss, settings.temperature, settings.alpha)


def _choose_trainable(backbone, config: RunConfig) -> None:
    if not is_enabled(config.peft):
        apply_freezing(backbone, config.model)
        return
    add_adapter(backbone, config.peft, config.name)


def _final_metrics(model, task, encoder, config, folder, splits, validation, before,
                   training_info: dict) -> dict:
    after = evaluate_split(model, task, encoder, validation)
    after.write(folder.path, prefix="validation_")
    metrics = {"validation": {"before": before, "after": after.metrics}, "training": training_info}
    if splits.test is not None:
        test_report = evaluate_split(model, task, encoder, task.encode(encoder, splits.test))
        test_report.write(folder.path, prefix="test_")
        metrics["test"] = test_report.metrics
    folder.metrics.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    log_hparams(folder.logs, config, headline_metrics(metrics))
    return metrics


MoreCallbacks = Callable[[TrainedModel, TextExamples, Path], list]


def train(config: RunConfig, verbose: str | int = "auto",
          translators: tuple[Translate, Translate] | None = None,
          more_callbacks: MoreCallbacks | None = None) -> RunResult:
    """Fine-tunes and evaluates as ``config`` says and saves the run; resumes an unfinished run.

    Args:
        config: the run description (`tfft.config.load_config`).
        verbose: Keras' ``fit`` verbosity: 1 a progress bar; 2 a line per epoch, plus progress
            lines logged every ``training.log_every_steps`` steps and at least every 30 s.
        translators: (into the pivot language, back) for ``data.augment.method=back_translation``;
            `tfft.export.translation.back_translators` makes them from exported models.
        more_callbacks: Keras callbacks from the model being trained, the validation rows and the
            TensorBoard log folder (`tfft.explain.explanation_summaries.explanation_summaries`).
    """
    strategy = make_strategy(config.training.distribute)  # first: collectives configure at start-up
    with open_run_folder(config, strategy) as (folder, config, resumed, backup_source):
        return _train(config, folder, resumed, backup_source, strategy, verbose, translators, more_callbacks)


def _train(config: RunConfig, folder: RunFolder, resumed: bool, backup_source: RunFolder,
           strategy: tf.distribute.Strategy, verbose, translators, more_callbacks: MoreCallbacks | None) -> RunResult:
    keras.utils.set_random_seed(config.training.seed)
    task = make_task(config.task, config.task_options, config.data)
    splits = _load_data(config, folder, task, translators)
    init_run = RunFolder.finished(config.model.init_from, "model.init_from") if config.model.init_from else None
    teacher_run = check_teacher(config) if config.training.distillation.teacher else None
    if init_run:  # its labels, in its order, so its head's weights mean the same
        task.load(init_run.path)
    if teacher_run:  # the teacher's labels, so its outputs line up
        task.load(teacher_run.path)
    log(f"mixed precision: {set_precision(config.training.mixed_precision, strategy)}")
    loaded, model, encoder = _build_model(config, task, strategy, init_run)

    training = config.training
    train_split = task.encode(encoder, splits.train, training, with_weights=True)
    validation = task.encode(encoder, splits.validation)
    steps = count_batches(len(train_split), rows_per_step(training))
    make_stream = lambda start=ResumePoint(): training_dataset(  # noqa: E731
        train_split, rows_per_step(training), training.seed, training.length_group_batches,
        training.epochs, start.epoch, start.batch, pad_multiple(training), training.data_service)
    # weighted_metrics=[]: keras-hub task models (CausalLM) otherwise add their own
    # accuracy, which would count the ignored prompt positions.
    compile_for_training(model, training, steps, task.loss(training), task.metrics, strategy,
                         gradient_method=make_gradient_method(training.adversarial, model),
                         loss_function=_distillation_loss(training, task, strategy, teacher_run),
                         weighted_metrics=[])
    parameters = trainable_summary(model)
    log(f"{len(splits.train)} training rows ({steps} steps/epoch), "
        f"{len(splits.validation)} validation rows, {parameters['total_parameters']:,} parameters, "
        f"{parameters['trainable_parameters']:,} trainable ({parameters['trainable_percent']}%)")

    before = _before_metrics(config, folder, model, task, encoder, validation)
    val_batches, _ = inference_dataset(validation, EVAL_BATCH_SIZE)
    callbacks = _callbacks(config, folder, task, encoder, validation,
                           peft_callbacks(loaded.backbone, config, make_stream, steps * training.epochs, folder))
    if more_callbacks:
        trained = TrainedModel(config, task, model, encoder, loaded.backbone)
        callbacks += more_callbacks(trained, splits.validation, folder.logs)
    history, fitted = fit_run(model, make_stream, steps, training, strategy, backup_source.backup, callbacks,
                              validation_data=val_batches, verbose=verbose)
    training_info = {"rows": len(splits.train), **fitted, "resumed": resumed, **parameters}

    metrics = _final_metrics(model, task, encoder, config, folder, splits, validation, before,
                             training_info)
    save_trained_model(folder, model, loaded.backbone, encoder, task)
    if is_enabled(config.peft):
        save_adapter(folder.adapter, model, loaded.backbone, config, task)
    warmup = task.serving_examples(splits.validation, config.export.warmup_requests) or None
    folder.warmup_texts.write_text(json.dumps(warmup), encoding="utf-8")
    shutil.rmtree(folder.backup, ignore_errors=True)
    folder.mark_done()
    first = {name: values[0] for name, values in task.serving_examples(splits.validation, 1).items()}
    return RunResult(folder.path, metrics, history, first, chief=is_chief(strategy))


def headline_metrics(metrics: dict) -> dict[str, float]:
    """A run's headline validation and test numbers, as ``val_<name>`` and ``test_<name>``."""
    headline = {f"val_{k}": v for k, v in headline_numbers(metrics["validation"]["after"]).items()}
    headline.update({f"test_{k}": v for k, v in headline_numbers(metrics.get("test", {})).items()})
    return headline
