"""Read labelled (or unlabelled) texts from CSV, TSV, JSONL, Parquet or TFDS.

Every row keeps the line it came from, so any problem found here or later
(an unseen label, say) is reported as ``file, line N, column 'c': reason``.
With ``skip_bad_rows`` bad rows are dropped and listed instead.

Example:

>>> examples = read_examples("data/train.csv", DataConfig(text_column="review"))
>>> examples.texts[0], examples.labels[0], examples.lines[0]
('Great battery life', 'positive', 2)
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError, SkipReport
from tfft.data.rows import HeaderRow
from tfft.data.tfds_source import tfds_rows

logger = logging.getLogger(__name__)

DELIMITED = {".csv": ",", ".tsv": "\t", ".txt": "\t"}
JSON_LINES = {".jsonl", ".json", ".ndjson"}
PARQUET = {".parquet", ".pq"}


@dataclass
class TextExamples:
    """Column-oriented examples with the source line of each row."""

    source: str
    texts: list[str]
    pairs: list[str] | None
    labels: list[Any] | None
    lines: list[int | None]
    label_column: str | None = None
    skipped: SkipReport | None = None
    label_names: list[str] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Iterable[int]) -> "TextExamples":
        indices = list(indices)
        pick = lambda values: pick_rows(values, indices)  # noqa: E731
        return TextExamples(
            self.source, pick(self.texts), pick(self.pairs), pick(self.labels),
            pick(self.lines), self.label_column, self.skipped, self.label_names,
        )

    def where(self, index: int, column: str | None = None) -> BadRow:
        return BadRow(self.source, self.lines[index], column, "")


def pick_rows(values: list | None, indices: list[int]) -> list | None:
    """``values`` at ``indices`` (None stays None): the column step of every ``subset``."""
    return None if values is None else [values[i] for i in indices]


def read_examples(path: str, data: DataConfig, with_labels: bool = True) -> TextExamples:
    """Reads one file (or ``tfds:name:split``) into `TextExamples`."""
    if path.startswith("tfds:"):
        rows, label_names = tfds_rows(path, data, with_labels)
        examples = collect_rows(path, rows, data, with_labels)
        examples.label_names = label_names
        return examples
    return collect_rows(path, file_rows(path), data, with_labels)


def read_with_columns(path: str, data: DataConfig, columns: list[str],
                      with_labels: bool = True) -> tuple[TextExamples, list[list[str]]]:
    """``data``'s examples and the texts of more ``columns``, row-aligned.

    With ``data.skip_bad_rows`` a row bad in any column is left out of all of them.
    """
    base = read_examples(path, data, with_labels)
    extra = [read_examples(path, replace(data, text_column=name, text_pair_column=None), with_labels=False)
             for name in columns]
    kept = set(base.lines).intersection(*(set(column.lines) for column in extra))
    examples = base.subset(i for i, line in enumerate(base.lines) if line in kept)
    aligned = []
    for column in extra:
        position = {line: i for i, line in enumerate(column.lines)}
        aligned.append([column.texts[position[line]] for line in examples.lines])
    return examples, aligned


def file_rows(path: str) -> Iterator:
    """(line, dict | BadRow) for each row of a CSV/TSV/JSONL/Parquet file, after a `HeaderRow` where it has one."""
    file = Path(path)
    if not file.is_file():
        raise DataError(BadRow(path, None, None, "file does not exist"))
    suffix = file.suffix.lower()
    if suffix in DELIMITED:
        return _delimited_rows(file, DELIMITED[suffix])
    if suffix in JSON_LINES:
        return json_rows(file)
    if suffix in PARQUET:
        return _parquet_rows(file)
    raise DataError(
        BadRow(path, None, None, f"unsupported file type '{suffix}'"),
        "expected .csv, .tsv, .jsonl or .parquet, or tfds:<name>:<split>",
    )


def required_columns(data: DataConfig, with_labels: bool) -> list[str]:
    columns = [data.text_column]
    if data.text_pair_column:
        columns.append(data.text_pair_column)
    if with_labels:
        columns.append(data.label_column)
    return columns


def collect_rows(path: str, rows: Iterator, data: DataConfig, with_labels: bool) -> TextExamples:
    """Validates rows yielded as (line, dict | BadRow), after a `HeaderRow`, into examples."""
    report = SkipReport(path)
    columns = required_columns(data, with_labels)
    texts, pairs, labels, lines = [], [], [], []
    dropped: Counter = Counter()
    for line, row in rows:
        if isinstance(row, HeaderRow):
            _check_columns(path, row.header, columns)
            continue
        problem = row if isinstance(row, BadRow) else _row_problem(path, line, row, columns)
        if problem is not None:
            if problem.line is None or not data.skip_bad_rows:
                raise DataError(problem, "pass --skip-bad-rows to skip such rows" if problem.line else "")
            report.skipped.append(problem)
            continue
        label = _normalise_label(row[data.label_column]) if with_labels else None
        if isinstance(label, str) and label in data.drop_labels:
            dropped[label] += 1
            continue
        texts.append(str(row[data.text_column]))
        if data.text_pair_column:
            pairs.append(str(row[data.text_pair_column]))
        if with_labels:
            labels.append(label)
        lines.append(line)
    if dropped:
        logger.info("%s: left out %s (data.drop_labels)", path,
                    ", ".join(f"{count} rows labelled {label!r}" for label, count in sorted(dropped.items())))
    if not texts:
        raise DataError(BadRow(path, None, None, "no usable rows"))
    return TextExamples(
        path, texts, pairs if data.text_pair_column else None,
        labels if with_labels else None, lines,
        data.label_column if with_labels else None, report,
    )


def _row_problem(path: str, line: int, row: dict, columns: list[str]) -> BadRow | None:
    for column in columns:
        value = row.get(column)
        if value is None or (isinstance(value, float) and value != value):
            return BadRow(path, line, column, "value is missing")
        if isinstance(value, str):
            if not value.strip():
                return BadRow(path, line, column, "value is empty")
            if has_undecodable(value):
                return BadRow(path, line, column, "undecodable bytes (the file is not valid UTF-8)")
    return None


def _normalise_label(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def has_undecodable(value: str) -> bool:
    # surrogateescape maps each undecodable byte to U+DC80..U+DCFF.
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _check_header(path: str, header: list[str]) -> None:
    duplicated = [name for name, count in Counter(header).items() if count > 1]
    if duplicated:
        raise DataError(BadRow(path, 1, duplicated[0], "column name appears more than once in the header"))


def _check_columns(path: str, header: list[str] | None, columns: list[str]) -> None:
    if header is None:  # JSON lines: checked row by row
        return
    for column in columns:
        if column not in header:
            raise DataError(
                BadRow(path, 1, column, f"column not found in header {header}"),
                "map columns with data.text_column / data.text_pair_column / data.label_column",
            )


def _delimited_rows(file: Path, delimiter: str) -> Iterator:
    text = file.read_bytes().decode("utf-8-sig", errors="surrogateescape")
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    header = next(reader, None)
    if not header:
        raise DataError(BadRow(str(file), 1, None, "file is empty, expected a header row"))
    header = [name.strip() for name in header]
    _check_header(str(file), header)
    yield 1, HeaderRow(header)
    previous_end = reader.line_num
    for fields in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not fields:
            continue
        if len(fields) != len(header):
            yield line, BadRow(
                str(file), line, None,
                f"expected {len(header)} fields as in the header, found {len(fields)}",
            )
            continue
        yield line, dict(zip(header, fields))


def json_objects(file: Path) -> Iterator:
    """(line, dict) of each non-blank JSONL line, or (line, `BadRow`) where it is not an object."""
    return (item for item in json_rows(Path(file)) if not isinstance(item[1], HeaderRow))


def json_rows(file: Path) -> Iterator:
    yield 0, HeaderRow(None)
    with open(file, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8-sig" if line == 1 else "utf-8", errors="surrogateescape")
            if not text.strip():
                continue
            if has_undecodable(text):
                yield line, BadRow(str(file), line, None, "undecodable bytes (the file is not valid UTF-8)")
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as error:
                yield line, BadRow(str(file), line, None, f"not valid JSON ({error.msg})")
                continue
            if not isinstance(row, dict):
                yield line, BadRow(str(file), line, None, "expected a JSON object per line")
                continue
            yield line, row


def _parquet_rows(file: Path) -> Iterator:
    import pandas as pd

    frame = pd.read_parquet(file)
    header = [str(c) for c in frame.columns]
    _check_header(str(file), header)
    yield 1, HeaderRow(header)
    # Parquet has no text lines: "line" is the data row number, counted like a
    # CSV with a header (first data row is line 2).
    for offset, record in enumerate(frame.to_dict(orient="records")):
        yield offset + 2, record
