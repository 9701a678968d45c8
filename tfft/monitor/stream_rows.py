"""Timestamped texts from stream lines: CSV/TSV with a header, or JSON lines; bad rows named, never dropped silently.

Example:

>>> columns = StreamColumns(time="published", text="headline", group="desk")
>>> for row in parse_rows(stream_lines("news.csv"), columns):
...     print(row)   # TimedText(source='news.csv', line=2, time=1772467500.0, text='...', group='markets')
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from tfft.data.errors import BadRow, DataError
from tfft.data.readers import has_undecodable
from tfft.monitor.line_sources import IDLE, SourceLine
from tfft.monitor.time_values import parse_timestamp


@dataclass(frozen=True)
class StreamColumns:
    """Which fields hold the time, the text and (optionally) the group of each row."""

    time: str = "time"
    text: str = "text"
    group: str | None = None


@dataclass(frozen=True)
class TimedText:
    """One usable row of the stream."""

    source: str
    line: int
    time: float
    text: str
    group: str | None = None


class _SourceFormat:
    """How one source's lines read: JSON objects, or delimited fields under the source's header."""

    def __init__(self, source: str, first: SourceLine, columns: StreamColumns):
        suffix = Path(source).suffix.lower()
        self.json = suffix in (".jsonl", ".ndjson", ".json") or (not suffix and first.text.lstrip().startswith("{"))
        self.delimiter = "\t" if suffix == ".tsv" else ","
        self.header: list[str] | None = None
        if not self.json:
            self.header = [name.strip() for name in _fields(first.text, self.delimiter)]
            wanted = [name for name in (columns.time, columns.text, columns.group) if name]
            missing = [name for name in wanted if name not in self.header]
            if missing:
                raise DataError(BadRow(source, first.line, missing[0], f"column not found in header {self.header}"),
                                "Name the columns with --time-column / --text-column / --group-column")

    def fields(self, item: SourceLine) -> dict | BadRow:
        if self.json:
            try:
                row = json.loads(item.text)
            except json.JSONDecodeError as error:
                return BadRow(item.source, item.line, None, f"not valid JSON ({error.msg})")
            return row if isinstance(row, dict) else BadRow(item.source, item.line, None,
                                                            "expected a JSON object per line")
        values = _fields(item.text, self.delimiter)
        if len(values) != len(self.header):
            return BadRow(item.source, item.line, None, f"expected {len(self.header)} fields as in the header, "
                                                        f"found {len(values)} (one record per line)")
        return dict(zip(self.header, values))


def _fields(text: str, delimiter: str) -> list[str]:
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    return next(csv.reader([text], delimiter=delimiter, quoting=quoting), [])


def parse_rows(lines: Iterable[SourceLine | None], columns: StreamColumns) -> Iterator[TimedText | BadRow | None]:
    """A `TimedText` or a `BadRow` per non-blank line (headers aside); `IDLE` passes through."""
    formats: dict[str, _SourceFormat] = {}
    for item in lines:
        if item is IDLE:
            yield IDLE
            continue
        if not item.text.strip():
            continue
        if item.source not in formats:
            formats[item.source] = _SourceFormat(item.source, item, columns)
            if not formats[item.source].json:
                continue
        if has_undecodable(item.text):
            yield BadRow(item.source, item.line, None, "undecodable bytes (the file is not valid UTF-8)")
            continue
        fields = formats[item.source].fields(item)
        yield fields if isinstance(fields, BadRow) else _timed_text(item, fields, columns)


def _timed_text(item: SourceLine, fields: dict, columns: StreamColumns) -> TimedText | BadRow:
    text = fields.get(columns.text)
    if not isinstance(text, str) or not text.strip():
        return BadRow(item.source, item.line, columns.text, "text is missing or empty")
    try:
        moment = parse_timestamp(fields.get(columns.time, ""))
    except (TypeError, ValueError):
        return BadRow(item.source, item.line, columns.time,
                      f"time {fields.get(columns.time)!r} is not ISO 8601 (2026-03-02T16:05:00Z) or Unix seconds")
    group = None
    if columns.group:
        group = fields.get(columns.group)
        if group is None or not str(group).strip():
            return BadRow(item.source, item.line, columns.group, "group is missing or empty")
        group = str(group).strip()
    return TimedText(item.source, item.line, moment, text, group)
