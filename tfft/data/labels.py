"""The label vocabulary of a run: built from training labels, saved with the run.

Example:

>>> vocab = LabelVocabulary.from_labels(["refund", "billing", "refund"])
>>> vocab.names
['billing', 'refund']
>>> vocab.index("refund")
1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from tfft.data.errors import BadRow, DataError

LABELS_FILE = "labels.json"  # beside a run's weights, and in an export's assets.extra


class LabelVocabulary:
    """An ordered list of label names. Integer-like labels sort numerically."""

    def __init__(self, names: Iterable[str]):
        self.names = [str(name) for name in names]
        self._index = {name: i for i, name in enumerate(self.names)}

    @classmethod
    def from_labels(cls, labels: Iterable[str]) -> "LabelVocabulary":
        unique = set(labels)
        if all(_is_int(name) for name in unique):
            return cls(sorted(unique, key=int))
        return cls(sorted(unique))

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self._index

    def index(self, name: str, where: BadRow | None = None) -> int:
        """Index of ``name``; an unseen label raises a `DataError` naming ``where``."""
        if name in self._index:
            return self._index[name]
        where = where or BadRow("<labels>", None, None, "")
        raise DataError(
            BadRow(where.source, where.line, where.column,
                   f"label '{name}' never appears in the training data (known: {self.names})"),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"labels": self.names}, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "LabelVocabulary":
        return cls(json.loads(Path(path).read_text(encoding="utf-8"))["labels"])


def _is_int(name: str) -> bool:
    try:
        int(name)
        return True
    except ValueError:
        return False
