"""Read a raw text corpus into documents, remembering the line each one starts on.

Tables (``.csv``, ``.tsv``, ``.jsonl``, ``.json``, ``.parquet``, or
``tfds:<name>``) go through the tabular readers and their ``data.text_column``
is the corpus. Any other file is plain text (``.txt``, ``.en``, ...) with one
document per line (``separator="line"``) or documents separated by blank lines
(``separator="blank_line"``).

Example:

>>> corpus = read_corpus("../shared/data/tiny_shakespeare/input.txt", DataConfig(), "blank_line")
>>> train, validation = corpus.hold_out(0.05, seed=42)
>>> len(train.documents), validation.lines[0]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError
from tfft.data.readers import read_examples

TABLES = {".csv", ".tsv", ".jsonl", ".json", ".ndjson", ".parquet", ".pq"}
SEPARATORS = ("line", "blank_line")


@dataclass
class Corpus:
    """Documents of one corpus file and the line each starts on (1-based)."""

    source: str
    documents: list[str]
    lines: list[int]

    def __len__(self) -> int:
        return len(self.documents)

    def subset(self, indices) -> "Corpus":
        indices = list(indices)
        return Corpus(self.source, [self.documents[i] for i in indices], [self.lines[i] for i in indices])

    def hold_out(self, fraction: float, seed: int) -> tuple["Corpus", "Corpus"]:
        """(train, validation): a seeded ``fraction`` of the documents, at least one."""
        if len(self) < 2:
            raise ValueError(f"{self.source}: {len(self)} document(s); holding out validation needs at "
                             f"least 2 (or name a data.validation file)")
        order = np.random.default_rng(seed).permutation(len(self))
        count = min(max(int(round(fraction * len(self))), 1), len(self) - 1)
        return self.subset(sorted(order[count:])), self.subset(sorted(order[:count]))


def read_corpora(paths: str | list[str], data: DataConfig, separator: str = "line") -> Corpus:
    """One corpus from one path or a list of them (e.g. both sides of a parallel corpus)."""
    parts = [read_corpus(path, data, separator) for path in ([paths] if isinstance(paths, str) else paths)]
    if not parts:
        raise ValueError("data.train names no corpus file")
    return Corpus(" + ".join(part.source for part in parts),
                  [document for part in parts for document in part.documents],
                  [line for part in parts for line in part.lines])


def read_corpus(path: str, data: DataConfig, separator: str = "line") -> Corpus:
    """Reads ``path`` (see module doc); raises `DataError` naming the file and line."""
    if separator not in SEPARATORS:
        raise ValueError(f"task_options.document_separator must be one of {SEPARATORS}, got '{separator}'")
    if ":" not in path and Path(path).suffix.lower() not in TABLES:
        corpus = _read_plain_text(Path(path), separator)
    else:
        examples = read_examples(path, data, with_labels=False)
        corpus = Corpus(examples.source, list(examples.texts), list(examples.lines))
    if not corpus.documents:
        raise DataError(BadRow(path, None, None, f"no text found (document_separator '{separator}')"))
    return corpus


def _read_plain_text(path: Path, separator: str) -> Corpus:
    if not path.is_file():
        raise FileNotFoundError(f"corpus file {path} does not exist")
    documents, lines = [], []
    for start, text in _documents(_decoded_lines(path), separator):
        documents.append(text)
        lines.append(start)
    return Corpus(str(path), documents, lines)


def _documents(numbered_lines, separator: str):
    """(first line number, text) of each document; blank lines never belong to one."""
    paragraph: list[tuple[int, str]] = []
    for number, line in numbered_lines:
        if not line.strip():
            if paragraph:
                yield paragraph[0][0], "\n".join(text for _, text in paragraph)
                paragraph = []
        elif separator == "line":
            yield number, line
        else:
            paragraph.append((number, line))
    if paragraph:
        yield paragraph[0][0], "\n".join(text for _, text in paragraph)


def _decoded_lines(path: Path):
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise DataError(BadRow(str(path), number, None, f"not UTF-8 ({error.reason} at byte "
                                       f"{error.start})"), "re-encode the file, e.g. iconv -t UTF-8") from None
