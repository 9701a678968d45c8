"""Read SQuAD v1.1 / v2.0 JSON into question-answering examples.

Each question keeps its article title, its id and the line of the file where
its ``"id"`` sits (SQuAD files are often one long line; then every question
is on line 1 and the id names it). An answer whose text is not found at its
``answer_start`` in the context is an error naming the file, line, question id
and answer; with ``skip_bad_rows`` the question is skipped and reported.
v2.0 questions with ``is_impossible`` have no answers.

Example:

>>> examples = read_squad("train-v1.1.json")
>>> examples.questions[0], examples.answers[0][0]
('To whom did the Virgin Mary ...', Answer(text='Saint Bernadette Soubirous', start=515))
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tfft.data.readers import pick_rows
from tfft.data.errors import BadRow, DataError, SkipReport

ID_PATTERN = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')
SKIP_HINT = "pass --skip-bad-rows to skip such questions"


@dataclass(frozen=True)
class Answer:
    text: str
    start: int  # character offset into the context


@dataclass
class QAExamples:
    source: str
    ids: list[str]
    titles: list[str]
    questions: list[str]
    contexts: list[str]
    answers: list[list[Answer]] | None
    lines: list[int | None]
    skipped: SkipReport | None = None

    def __len__(self) -> int:
        return len(self.questions)

    def subset(self, indices: Iterable[int]) -> "QAExamples":
        indices = list(indices)
        pick = lambda values: pick_rows(values, indices)  # noqa: E731
        return QAExamples(self.source, pick(self.ids), pick(self.titles), pick(self.questions),
                          pick(self.contexts), pick(self.answers), pick(self.lines), self.skipped)

    @property
    def has_unanswerable(self) -> bool:
        return self.answers is not None and any(not answers for answers in self.answers)


def read_squad(path: str, skip_bad_rows: bool = False, with_labels: bool = True) -> QAExamples:
    file = Path(path)
    if not file.is_file():
        raise DataError(BadRow(path, None, None, "file does not exist"))
    raw = file.read_bytes().decode("utf-8-sig", errors="replace")
    try:
        articles = json.loads(raw)["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DataError(BadRow(path, None, None, f"not a SQuAD JSON file ({error})")) from None
    line_of = _id_lines(raw)
    examples = QAExamples(path, [], [], [], [], [] if with_labels else None, [], SkipReport(path))
    for article in articles:
        for paragraph in article.get("paragraphs", []):
            for qa in paragraph.get("qas", []):
                _add(examples, article.get("title", ""), paragraph["context"], qa, line_of,
                     skip_bad_rows, with_labels)
    if not examples.questions:
        raise DataError(BadRow(path, None, None, "no usable questions"))
    return examples


def _add(examples: QAExamples, title: str, context: str, qa: dict, line_of: dict,
         skip_bad_rows: bool, with_labels: bool) -> None:
    qid = str(qa.get("id", ""))
    line = line_of.get(qid)
    answers = [Answer(a["text"], int(a["answer_start"])) for a in qa.get("answers", [])]
    problem = _problem(examples.source, line, qid, qa, context, answers, with_labels)
    if problem is not None:
        if not skip_bad_rows:
            raise DataError(problem, SKIP_HINT)
        examples.skipped.skipped.append(problem)
        return
    examples.ids.append(qid)
    examples.titles.append(title)
    examples.questions.append(qa["question"])
    examples.contexts.append(context)
    examples.lines.append(line)
    if with_labels:
        examples.answers.append(answers)


def _problem(source, line, qid, qa, context, answers, with_labels) -> BadRow | None:
    if not str(qa.get("question", "")).strip():
        return BadRow(source, line, "question", f"question {qid} is empty")
    if not with_labels:
        return None
    if not answers and not qa.get("is_impossible", False):
        return BadRow(source, line, "answers", f"question {qid} has no answers and is not marked is_impossible")
    for answer in answers:
        found = context[answer.start:answer.start + len(answer.text)]
        if found != answer.text:
            return BadRow(source, line, "answers",
                          f"question {qid}: answer '{answer.text}' is not in the context at "
                          f"answer_start {answer.start} (the context has '{found}' there)")
    return None


def _id_lines(raw: str) -> dict[str, int]:
    newlines = [i for i, ch in enumerate(raw) if ch == "\n"]
    return {match.group(1): bisect.bisect_left(newlines, match.start()) + 1
            for match in ID_PATTERN.finditer(raw)}
