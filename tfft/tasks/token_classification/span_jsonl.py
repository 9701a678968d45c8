"""Read JSON lines with raw text and character-span entities (annotation-tool exports).

Each line is an object with the text (``data.text_column``, default ``text``)
and a list of entities (``data.label_column``), each either
``{"start": 0, "end": 5, "label": "PER"}`` (``type`` is accepted for
``label``, and an optional ``text`` is checked against the span) or
``[start, end, "PER"]`` (doccano); or, as CLUENER2020 writes them, an object
``{"address": {"台湾": [[15, 16]]}, ...}`` of type -> entity text -> spans whose
end is inclusive. Spans outside the text, spans whose text does not match, and
overlapping spans are errors naming the line.

Example:

>>> examples = read_span_jsonl("train.jsonl", DataConfig(label_column="entities"))
>>> examples.spans[0]
[Span(start=0, end=5, label='PER')]
"""

from __future__ import annotations

from pathlib import Path

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError, SkipReport
from tfft.data.readers import json_rows
from tfft.data.rows import HeaderRow
from tfft.tasks.token_classification.span_examples import Span, SpanExamples, split_words

SKIP_HINT = "pass --skip-bad-rows to skip such rows"


def read_span_jsonl(path: str, data: DataConfig, with_labels: bool = True) -> SpanExamples:
    file = Path(path)
    if not file.is_file():
        raise DataError(BadRow(path, None, None, "file does not exist"))
    examples = SpanExamples(path, [], [] if with_labels else None, [], [], SkipReport(path))
    for line, row in json_rows(file):
        if isinstance(row, HeaderRow):
            continue
        parsed = row if isinstance(row, BadRow) else _parse(path, line, row, data, with_labels)
        if isinstance(parsed, BadRow):
            if not data.skip_bad_rows:
                raise DataError(parsed, SKIP_HINT)
            examples.skipped.skipped.append(parsed)
            continue
        text, spans = parsed
        examples.texts.append(text)
        examples.words.append(split_words(text))
        examples.lines.append(line)
        if with_labels:
            examples.spans.append(spans)
    if not examples.texts:
        raise DataError(BadRow(path, None, None, "no usable rows"))
    return examples


def _parse(path: str, line: int, row: dict, data: DataConfig, with_labels: bool):
    text = row.get(data.text_column)
    if not isinstance(text, str) or not text.strip():
        return BadRow(path, line, data.text_column, "missing or empty text")
    if not with_labels:
        return text, None
    entities = row.get(data.label_column)
    if isinstance(entities, dict):
        entities = _cluener_entities(entities)
        if isinstance(entities, str):
            return BadRow(path, line, data.label_column, entities)
    if not isinstance(entities, list):
        return BadRow(path, line, data.label_column, "expected a list of entities, or CLUENER's "
                                                     "{type: {entity text: [[start, end], ...]}}")
    spans = []
    for entity in entities:
        span = _span(entity)
        if isinstance(span, str):
            return BadRow(path, line, data.label_column, span)
        problem = _span_problem(text, span, entity)
        if problem:
            return BadRow(path, line, data.label_column, problem)
        spans.append(span)
    spans.sort(key=lambda s: (s.start, s.end))
    for before, after in zip(spans, spans[1:]):
        if after.start < before.end:
            return BadRow(path, line, data.label_column,
                          f"spans [{before.start}, {before.end}) and [{after.start}, {after.end}) overlap")
    return text, spans


def _cluener_entities(by_type: dict) -> list[dict] | str:
    """CLUENER2020's labels as ``{"start", "end", "label", "text"}`` entities (end made exclusive)."""
    entities = []
    for label, mentions in by_type.items():
        if not isinstance(mentions, dict):
            return f"'{label}' should map entity texts to [[start, end], ...] lists, got {mentions!r}"
        for text, positions in mentions.items():
            if not isinstance(positions, list) or not all(
                    isinstance(p, list) and len(p) == 2 and all(isinstance(i, int) for i in p) for p in positions):
                return f"'{label}' / '{text}' should be a list of [start, end] pairs, got {positions!r}"
            entities += [{"start": start, "end": end + 1, "label": label, "text": text} for start, end in positions]
    return entities


def _span(entity) -> Span | str:
    if isinstance(entity, (list, tuple)) and len(entity) == 3:
        start, end, label = entity
    elif isinstance(entity, dict):
        start, end = entity.get("start"), entity.get("end")
        label = entity.get("label", entity.get("type"))
    else:
        return f"entity {entity!r} is neither {{start, end, label}} nor [start, end, label]"
    if not isinstance(start, int) or not isinstance(end, int) or not isinstance(label, str) or not label:
        return f"entity {entity!r} needs integer start and end and a label"
    return Span(start, end, label)


def _span_problem(text: str, span: Span, entity) -> str | None:
    if not 0 <= span.start < span.end <= len(text):
        return f"span [{span.start}, {span.end}) is outside the text ({len(text)} characters)"
    expected = entity.get("text") if isinstance(entity, dict) else None
    if expected is not None and text[span.start:span.end] != expected:
        return (f"span [{span.start}, {span.end}) does not match the text: the text has "
                f"'{text[span.start:span.end]}', the entity says '{expected}'")
    return None
