"""Read CoNLL column files (one token per line, blank lines between sentences).

``-DOCSTART-`` lines are skipped; the tag is in ``tag_column`` (the last
column by default; CoNLL-2003 is ``token POS chunk NER``). Each sentence
becomes one text (tokens joined by spaces) with its entities as character
spans, and the tokens as the words the entity metric is computed on.

A malformed line (too few columns, a column count unlike the file's first
token line, a tag outside the scheme, undecodable bytes) is a `DataError`
naming the file, line and column; with ``skip_bad_rows`` its whole sentence
is skipped and reported instead.

Example:

>>> examples = read_conll("conll2003/train.txt", tag_column=-1, scheme="BIO")
>>> examples.texts[0], examples.spans[0][0]
('EU rejects German call to boycott British lamb .', Span(start=0, end=2, label='ORG'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tfft.data.errors import BadRow, DataError, SkipReport
from tfft.data.readers import has_undecodable
from tfft.tasks.token_classification.span_examples import Span, SpanExamples
from tfft.tasks.token_classification.tag_schemes import check_tag, tags_to_spans

DOCUMENT_START = "-DOCSTART-"
SKIP_HINT = "pass --skip-bad-rows to skip such sentences"


@dataclass
class _Sentence:
    first_line: int
    tokens: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    problem: BadRow | None = None


def read_conll(path: str, tag_column: int = -1, scheme: str = "BIO", skip_bad_rows: bool = False,
               with_labels: bool = True) -> SpanExamples:
    file = Path(path)
    if not file.is_file():
        raise DataError(BadRow(path, None, None, "file does not exist"))
    examples = SpanExamples(path, [], [] if with_labels else None, [], [], SkipReport(path))
    for sentence in _sentences(file, tag_column, scheme, with_labels):
        if sentence.problem is not None:
            if not skip_bad_rows:
                raise DataError(sentence.problem, SKIP_HINT)
            examples.skipped.skipped.append(sentence.problem)
            continue
        _add_sentence(examples, sentence, scheme, with_labels)
    if not examples.texts:
        raise DataError(BadRow(path, None, None, "no usable sentences"))
    return examples


def _add_sentence(examples: SpanExamples, sentence: _Sentence, scheme: str, with_labels: bool) -> None:
    words, position = [], 0
    for token in sentence.tokens:
        words.append((position, position + len(token)))
        position += len(token) + 1
    examples.texts.append(" ".join(sentence.tokens))
    examples.words.append(words)
    examples.lines.append(sentence.first_line)
    if with_labels:
        examples.spans.append([Span(words[first][0], words[last - 1][1], kind)
                               for first, last, kind in tags_to_spans(sentence.tags, scheme)])


def _sentences(file: Path, tag_column: int, scheme: str, with_labels: bool):
    source, columns, sentence = str(file), None, None
    with open(file, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="surrogateescape").strip()
            if not line or line.startswith(DOCUMENT_START):
                if sentence is not None:
                    yield sentence
                sentence = None
                continue
            fields = line.split()
            sentence = sentence or _Sentence(number)
            if sentence.problem is not None:
                continue
            columns = columns or len(fields)
            sentence.problem = _line_problem(source, number, line, fields, columns, tag_column,
                                             scheme, with_labels)
            if sentence.problem is None:
                sentence.tokens.append(fields[0])
                sentence.tags.append(fields[tag_column] if with_labels else "O")
    if sentence is not None:
        yield sentence


def _line_problem(source: str, number: int, line: str, fields: list[str], columns: int,
                  tag_column: int, scheme: str, with_labels: bool) -> BadRow | None:
    if has_undecodable(line):
        return BadRow(source, number, None, "undecodable bytes (the file is not valid UTF-8)")
    needed = 2 if with_labels else 1
    if len(fields) < needed:
        return BadRow(source, number, None, f"expected a token and a tag, found {len(fields)} column(s)")
    if len(fields) != columns:
        return BadRow(source, number, None,
                      f"found {len(fields)} columns, the file's first token line has {columns}")
    if with_labels:
        column_number = tag_column % len(fields) + 1
        reason = check_tag(fields[tag_column], scheme)
        if reason:
            return BadRow(source, number, f"column {column_number}", reason)
    return None
