"""One pre-training run: corpus → tokenizer → packed blocks → fit → keras-hub preset.

Nothing here knows the objective; `Objective` supplies the tokenizer trainer,
the block layout, the LM model and the batches. The backbone is either
continued from an existing checkpoint (its tokenizer is kept) or built from
scratch (``scratch:<size>`` BERT, ``scratch-gpt2:<size>`` GPT-2) with a
tokenizer trained on the training documents. The result is a keras-hub preset
folder ``runs/<name>/preset`` that ``tfft train --set model.backbone=...``
fine-tunes from: general checkpoint → domain pre-training → task fine-tuning.

Example:

>>> result = pretrain(load_config("configs/pretrain_shakespeare_gpt.yaml"))
>>> result.metrics["validation"]["after"]["perplexity"]
"""

from __future__ import annotations

import logging
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfft.backbones import is_scratch, load_backbone, scratch_backbone
from tfft.config import RunConfig
from tfft.data.pipeline import count_batches, index_batches
from tfft.pretraining.corpus import Corpus, read_corpora
from tfft.pretraining.base import BlockLayout, Objective
from tfft.pretraining.registry import make_objective
from tfft.pretraining.packing import pack_blocks, tokenize_documents
from tfft.run_folder import RunFolder
from tfft.training.trained_model import load_tokenizer
from tfft.training.freezing import apply_freezing
from tfft.training.accumulation import own_class
from tfft.training.backup import ResumePoint
from tfft.training.fitting import compile_for_training, fit_run, rows_per_step
from tfft.training.precision import set_precision
from tfft.training.run_callbacks import early_stopping, folder_callbacks
from tfft.training.strategy import make_strategy
from tfft.training.worker_folder import open_run_folder
from tfft.training.throughput import TokenRateLogger

logger = logging.getLogger(__name__)

EVAL_BATCH_SIZE = 64


@dataclass
class PretrainResult:
    """Where a finished pre-training run put things, and what it measured."""

    run_dir: Path
    preset_dir: Path
    metrics: dict
    history: dict = field(default_factory=dict)


def log(message: str) -> None:
    logger.info(message)


def pretrain(config: RunConfig, verbose: str | int = "auto") -> PretrainResult:
    """Pre-trains as ``config`` says and saves a keras-hub preset; resumes an unfinished run."""
    if config.peft.method != "none":
        raise ValueError(f"tfft pretrain trains the backbone itself; peft.method={config.peft.method} "
                         f"applies to fine-tuning (tfft train). Set peft.method=none")
    strategy = make_strategy(config.training.distribute)  # first: collectives configure at start-up
    with open_run_folder(config, strategy) as (folder, config, resumed, backup_source):
        return _pretrain(config, folder, resumed, backup_source, strategy, verbose)


def _pretrain(config: RunConfig, folder: RunFolder, resumed: bool, backup_source: RunFolder,
              strategy: tf.distribute.Strategy, verbose) -> PretrainResult:
    keras.utils.set_random_seed(config.training.seed)
    objective = make_objective(config.task, config.task_options)
    train_corpus, validation_corpus = _read_corpora(config, objective)
    log(f"mixed precision: {set_precision(config.training.mixed_precision, strategy)}")
    max_length = config.model.max_length
    with strategy.scope():
        backbone, tokenizer = _backbone_and_tokenizer(config, objective, train_corpus, folder)
        apply_freezing(backbone, config.model)  # freeze=backbone: train the LM head alone
        model = objective.build_model(backbone)
    layout = objective.layout(tokenizer, max_length)
    train_blocks = _blocks(tokenizer, train_corpus, layout, max_length, objective)
    validation_blocks = _blocks(tokenizer, validation_corpus, layout, max_length, objective)

    training = config.training
    steps = count_batches(len(train_blocks), rows_per_step(training))
    compile_for_training(model, training, steps, objective.loss(), objective.metrics, strategy, weighted=True)
    log(f"{len(train_blocks)} training blocks of {max_length} tokens ({steps} steps/epoch), "
        f"{len(validation_blocks)} validation blocks, {model.count_params():,} parameters")

    make_stream = lambda start=ResumePoint(): block_batches(  # noqa: E731
        train_blocks, objective, rows_per_step(training), training.seed, training.epochs, start)
    # Validation masks are drawn once and cached, so every evaluation scores the same task.
    validation = block_batches(validation_blocks, objective, EVAL_BATCH_SIZE).cache()
    before = _before_metrics(model, validation, folder, training.evaluate_before)
    callbacks = _callbacks(config, folder) + objective.callbacks(
        backbone, tokenizer, sample_prompts(validation_corpus), folder.logs)
    history, fitted = fit_run(model, make_stream, steps, training, strategy, backup_source.backup, callbacks,
                              validation_data=validation, verbose=verbose)
    info = {"blocks": len(train_blocks), "block_tokens": max_length, **fitted, "resumed": resumed}
    after = model.evaluate(validation, return_dict=True, verbose=0)
    preset = _save_preset(model, tokenizer, folder)
    metrics = {"validation": {"before": before, "after": _floats(after)}, "training": info,
               "history": {k: [float(v) for v in values] for k, values in history.items()}}
    folder.metrics.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    shutil.rmtree(folder.backup, ignore_errors=True)
    folder.mark_done()
    return PretrainResult(folder.path, preset, metrics, history)


def block_batches(blocks: np.ndarray, objective: Objective, batch_size: int, seed: int | None = None,
                  epochs: int = 1, start: ResumePoint = ResumePoint()) -> tf.data.Dataset:
    """Batches of ``objective.batch`` for epochs ``start.epoch..epochs-1``, from batch ``start.batch``.

    With ``seed`` each epoch is shuffled by ``(seed, epoch)``, so a resumed run
    sees the batches the uninterrupted one would have; without, one pass in order.
    """
    rows = np.arange(len(blocks))
    orders = ([rows] if seed is None else
              [np.random.default_rng([seed, epoch]).permutation(rows) for epoch in range(start.epoch, epochs)])
    batches = [order[i:i + batch_size] for order in orders for i in range(0, len(order), batch_size)]
    dataset = index_batches(batches[start.batch:]).map(
        lambda index: tf.gather(blocks, index), num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.map(objective.batch, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def sample_prompts(corpus: Corpus, count: int = 3, words: int = 8) -> list[str]:
    """The opening words of the first documents' first lines: prompts for sample generations."""
    return [" ".join(document.splitlines()[0].split()[:words]) for document in corpus.documents[:count]]


def _read_corpora(config: RunConfig, objective: Objective) -> tuple[Corpus, Corpus]:
    data = config.data
    corpus = read_corpora(data.train, data, objective.document_separator)
    if data.validation:
        validation = read_corpora(data.validation, data, objective.document_separator)
    else:
        corpus, validation = corpus.hold_out(data.validation_fraction, config.training.seed)
        log(f"held out {len(validation)} of {len(corpus) + len(validation)} documents for validation "
            f"(seed {config.training.seed})")
    return corpus, validation


def _backbone_and_tokenizer(config: RunConfig, objective: Objective, corpus: Corpus, folder: RunFolder):
    spec, max_length = config.model.backbone, config.model.max_length
    if not is_scratch(spec):
        log(f"continuing from backbone {spec} ...")
        loaded = load_backbone(spec, max_length)
        return loaded.backbone, loaded.tokenizer
    if folder.tokenizer.is_dir():  # resumed: the vocabulary must not change
        tokenizer = load_tokenizer(folder.tokenizer)
    else:
        tokenizer = objective.train_tokenizer(corpus.documents, objective.vocabulary_size)
        tokenizer.save_to_preset(str(folder.tokenizer))
    log(f"building {spec} from scratch with a {tokenizer.vocabulary_size()}-token vocabulary ...")
    return scratch_backbone(spec, tokenizer.vocabulary_size(), max_length), tokenizer


def _blocks(tokenizer, corpus: Corpus, layout: BlockLayout, max_length: int, objective: Objective) -> np.ndarray:
    ids = tokenize_documents(tokenizer, corpus.documents, corpus.source)
    length = max_length + layout.extra_length
    blocks = pack_blocks(ids, length, layout.separator_id, layout.prefix, layout.suffix)
    if len(blocks) == 0:
        raise ValueError(f"{corpus.source}: {sum(map(len, ids))} tokens make no block of "
                         f"{max_length} tokens; lower model.max_length or add text")
    starts = objective.word_starts(tokenizer, corpus.documents, corpus.source)
    if starts is None:
        return blocks
    if [len(s) for s in starts] != [len(i) for i in ids]:
        raise RuntimeError("word-start flags and token ids differ in length: the two tokenizations disagree")
    # Packed the same way, each flag lands beside its token; separators, [CLS] and [SEP] begin words.
    flags = pack_blocks([s.astype(np.int32) for s in starts], length, 1,
                        [1] * len(layout.prefix), [1] * len(layout.suffix))
    return np.stack([blocks, flags], axis=-1)


def _before_metrics(model, validation, folder: RunFolder, evaluate: bool) -> dict | None:
    if folder.metrics_before.is_file():  # resumed: the starting weights are gone
        return json.loads(folder.metrics_before.read_text())
    if not evaluate:
        return None
    log("evaluating before pre-training ...")
    before = _floats(model.evaluate(validation, return_dict=True, verbose=0))
    folder.metrics_before.write_text(json.dumps(before, indent=2))
    return before


def _callbacks(config: RunConfig, folder: RunFolder) -> list:
    training = config.training
    tokens_per_step = rows_per_step(training) * config.model.max_length
    return [
        TokenRateLogger(folder.logs, tokens_per_step, training.log_every_steps),
        *folder_callbacks(folder, training),
        *early_stopping(training, training.monitor or "val_loss"),
    ]


def _save_preset(model: keras.Model, tokenizer, folder: RunFolder) -> Path:
    """The backbone, the tokenizer and the LM model (task.json, plus task.weights.h5 where the
    head has weights of its own, as a masked-LM head does) in keras-hub's preset layout."""
    preset = folder.path / "preset"
    with own_class(model):  # not the class tfft's train step swapped in
        model.save_to_preset(str(preset))
    tokenizer.save_to_preset(str(preset))
    return preset


def _floats(values: dict) -> dict[str, float]:
    return {name: float(value) for name, value in values.items()}
