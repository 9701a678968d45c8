"""Texts with labelled character spans: the examples of the NER task.

Every reader (CoNLL columns, JSONL with character spans) produces this one
form: the raw text, its entities as ``[start, end)`` character offsets, and
the words the entity-level metric is computed over (the file's own tokens
for CoNLL, a BERT-like word split otherwise).

Example:

>>> examples = SpanExamples("train.jsonl", ["Ada lives in Paris"], [[Span(13, 18, "LOC")]],
...                         [[(0, 3), (4, 9), (10, 12), (13, 18)]], [1])
>>> examples.texts[0][13:18]
'Paris'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from tfft.data.readers import pick_rows
from tfft.data.errors import BadRow, SkipReport
from tfft.text.bert_words import CJK_CLASS

# Words as BERT splits them: each CJK ideograph alone, other letter/digit runs, each punctuation mark.
WORD = re.compile(rf"[{CJK_CLASS}]|[^\W{CJK_CLASS}]+|[^\w\s]")


@dataclass(frozen=True)
class Span:
    """A labelled ``[start, end)`` character range of a text."""

    start: int
    end: int
    label: str


@dataclass
class SpanExamples:
    source: str
    texts: list[str]
    spans: list[list[Span]] | None
    words: list[list[tuple[int, int]]]
    lines: list[int | None]
    skipped: SkipReport | None = None
    pairs = None  # single texts only

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Iterable[int]) -> "SpanExamples":
        indices = list(indices)
        pick = lambda values: pick_rows(values, indices)  # noqa: E731
        return SpanExamples(self.source, pick(self.texts), pick(self.spans), pick(self.words),
                            pick(self.lines), self.skipped)

    def where(self, index: int, column: str | None = None) -> BadRow:
        return BadRow(self.source, self.lines[index], column, "")


def split_words(text: str) -> list[tuple[int, int]]:
    """Words and punctuation marks of ``text`` as character ranges."""
    return [match.span() for match in WORD.finditer(text)]
