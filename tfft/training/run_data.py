"""Load a run's train / validation / test examples as the config describes.

Example:

>>> splits = load_splits(config.data, task, seed=42)
>>> len(splits.train), len(splits.validation)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tfft.config import DataConfig
from tfft.data.augment import AugmentedRow, with_augmented_copies
from tfft.data.back_translation import Translate
from tfft.data.readers import TextExamples
from tfft.data.replay import with_replay
from tfft.data.partition import fold_split, per_class_sample
from tfft.tasks.base import Task

logger = logging.getLogger(__name__)


@dataclass
class DataSplits:
    train: TextExamples
    validation: TextExamples
    test: TextExamples | None
    augmented: list[AugmentedRow] = field(default_factory=list)

    def skip_summaries(self) -> list[str]:
        """One summary line per file that lost rows, then each skipped row."""
        parts = [self.train, self.validation] + ([self.test] if self.test else [])
        seen, lines = set(), []
        for part in parts:
            report = part.skipped
            if report is not None and report.skipped and report.source not in seen:
                seen.add(report.source)
                lines.append(report.summary())
                lines.extend(f"  {row}" for row in report.skipped)
        return lines


def _sample(train, data: DataConfig, task: Task, seed: int):
    if data.train_per_class:
        return _per_class(train, data.train_per_class, task, seed)
    if not data.train_sample or data.train_sample >= len(train):
        return train
    _, sample = task.hold_out(train, data.train_sample / len(train), seed)
    logger.info(f"kept a stratified sample of {len(sample)} training rows (seed {seed})")
    return sample


def _per_class(train, per_class: int, task: Task, seed: int):
    labels = task.stratify_key(train)
    if labels is None:
        raise ValueError(f"data.train_per_class needs one label per row; task '{task.name}' "
                         f"(with these options) has none to count. Use data.train_sample")
    sample = per_class_sample(train, labels, per_class, seed)
    logger.info(f"kept {per_class} training rows per label, {len(sample)} in all (seed {seed})")
    return sample


def load_splits(data: DataConfig, task: Task, seed: int,
                translators: tuple[Translate, Translate] | None = None) -> DataSplits:
    """Reads the files, fits the task on all training rows, carves validation if needed.

    ``translators`` are handed to back-translation (``data.augment.method=back_translation``).
    """
    if data.augment.method != "none" and not task.supports_text_augmentation:
        raise ValueError(f"data.augment: task '{task.name}' does not support text augmentation "
                         f"(word edits would break its labels)")
    train = task.read(data.train)
    if data.replay:
        train = with_replay(train, task.read(data.replay), data.replay_ratio, seed)
    task.fit(train)
    if data.folds:  # cross-validation: validation is one fold of the (sampled) training rows
        train = _sample(train, data, task, seed)
        train, validation = fold_split(train, data.folds, data.fold, seed, task.stratify_key(train))
        logger.info(f"fold {data.fold} of {data.folds}: {len(train)} training, {len(validation)} validation rows")
    elif data.validation:
        validation = task.read(data.validation)
        train = _sample(train, data, task, seed)
    else:
        train, validation = task.hold_out(train, data.validation_fraction, seed)
        logger.info(f"held out {len(validation)} of {len(train) + len(validation)} training rows "
                    f"for validation (seed {seed})")
        train = _sample(train, data, task, seed)
    augmented = []
    if data.augment.method != "none":
        train, augmented = with_augmented_copies(train, data.augment, translators)
        logger.info(f"added {len(augmented)} augmented training rows ({data.augment.method})")
    test = task.read(data.test) if data.test else None
    return DataSplits(train, validation, test, augmented)
