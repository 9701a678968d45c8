"""Rows of the embedding task: an anchor, its positive, optional hard negatives or a score.

The anchor is ``data.text_column``, the positive (or the second text of a
scored pair) ``data.text_pair_column``, the hard negatives the columns named
in ``task_options.negative_columns``, and a similarity score
``data.label_column`` when the loss regresses on scores (CoSENT, cosine).

Example:

>>> examples = read_pair_examples("pairs.csv", DataConfig(text_pair_column="answer"), ["wrong_answer"])
>>> examples.texts[0], examples.pairs[0], examples.negatives[0][0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError
from tfft.data.readers import TextExamples, pick_rows, read_with_columns


@dataclass
class PairExamples(TextExamples):
    negatives: list[list[str]] = field(default_factory=list)  # one list of texts per negative column

    def subset(self, indices: Iterable[int]) -> "PairExamples":
        indices = list(indices)
        base = super().subset(indices)
        return PairExamples(**{**base.__dict__, "negatives": [pick_rows(column, indices)
                                                              for column in self.negatives]})

    def scores(self) -> list[float]:
        """The label column as floats; a value that is not a number is an error naming its line."""
        values = []
        for row, label in enumerate(self.labels or []):
            try:
                values.append(float(label))
            except (TypeError, ValueError):
                raise DataError(BadRow(self.source, self.lines[row], self.label_column,
                                       f"similarity score '{label}' is not a number")) from None
        return values


def read_pair_examples(path: str, data: DataConfig, negative_columns: list[str],
                       with_scores: bool = False) -> PairExamples:
    """Anchors, positives, hard negatives (and scores) of one file, row-aligned."""
    if not data.text_pair_column:
        raise DataError(BadRow(path, None, None, "the embedding task reads pairs"),
                        "set data.text_pair_column to the column of the positive (second) text")
    base, negatives = read_with_columns(path, data, negative_columns, with_labels=with_scores)
    return PairExamples(**base.__dict__, negatives=negatives)
