"""Carve a seeded, stratified validation split out of the training examples.

Example:

>>> train, validation = stratified_split(examples, fraction=0.1, seed=42, strata=labels)
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from tfft.data.readers import TextExamples


def stratified_split(
    examples: TextExamples, fraction: float, seed: int, strata: Sequence | None = None
) -> tuple[TextExamples, TextExamples]:
    """Splits off ``fraction`` of the rows, keeping class proportions where possible.

    Stratification needs two rows per stratum and one per stratum in each part;
    when the data cannot satisfy that (tiny or very skewed data) the split is a
    plain seeded shuffle split.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"data.validation_fraction must be between 0 and 1, got {fraction}")
    indices = np.arange(len(examples))
    n_validation = max(1, int(round(fraction * len(indices))))
    if n_validation >= len(indices):
        raise ValueError(
            f"{examples.source}: {len(indices)} rows are too few to hold out a validation split"
        )
    strata = list(strata) if strata is not None else None
    if strata is not None and not _can_stratify(strata, n_validation):
        strata = None
    train_idx, val_idx = train_test_split(
        indices, test_size=n_validation, random_state=seed, shuffle=True, stratify=strata
    )
    return examples.subset(sorted(train_idx)), examples.subset(sorted(val_idx))


def fold_split(examples, folds: int, fold: int, seed: int, strata: Sequence | None = None):
    """(train, validation) for fold ``fold`` of a seeded ``folds``-fold split, stratified where possible."""
    if not 0 <= fold < folds:
        raise ValueError(f"data.fold must be in [0, {folds}), got {fold}")
    indices = np.arange(len(examples))
    strata = list(strata) if strata is not None else None
    stratified = strata is not None and min(Counter(strata).values()) >= folds
    splitter = (StratifiedKFold if stratified else KFold)(n_splits=folds, shuffle=True, random_state=seed)
    train_idx, val_idx = list(splitter.split(indices, strata if stratified else None))[fold]
    return examples.subset(sorted(train_idx)), examples.subset(sorted(val_idx))


def _can_stratify(strata: list, n_validation: int) -> bool:
    counts = Counter(strata)
    return min(counts.values()) >= 2 and n_validation >= len(counts) and (
        len(strata) - n_validation >= len(counts)
    )


def per_class_sample(examples: TextExamples, labels: Sequence, per_class: int, seed: int) -> TextExamples:
    """A seeded sample of ``per_class`` rows of every label (all of a label's rows if it has fewer).

    The few-shot setting of prompt-based learning papers (K examples per class).

    >>> few = per_class_sample(train, train.labels, per_class=32, seed=42)
    """
    if per_class < 1:
        raise ValueError(f"data.train_per_class must be at least 1, got {per_class}")
    rng = np.random.default_rng(seed)
    rows_of: dict = {}
    for row, label in enumerate(labels):
        rows_of.setdefault(label, []).append(row)
    kept = [row for label in sorted(rows_of, key=str)
            for row in rng.permutation(rows_of[label])[:per_class]]
    return examples.subset(sorted(int(row) for row in kept))
