"""Read entity-marked relation examples in the SemEval-2010 Task 8 format.

Blocks of lines: ``<id>\\t"<sentence with <e1>..</e1> and <e2>..</e2>>"``, the
relation (``Cause-Effect(e1,e2)``, ``Other``, ...), an optional ``Comment:``
line and a blank line. The relation line is absent in unlabelled (test-style)
files. Each sentence keeps its markers; `marker_problem` checks them.

Example:

>>> examples = read_semeval("TRAIN_FILE.TXT")
>>> examples.texts[0][:40], examples.labels[0]
('The system as described above has its g', 'Component-Whole(e2,e1)')
"""

from __future__ import annotations

import re
from pathlib import Path

from tfft.data.errors import BadRow, DataError, SkipReport
from tfft.data.readers import TextExamples, has_undecodable

SENTENCE = re.compile(r'^(\d+)\t"(.*)"\s*$')
RELATION = re.compile(r"^[A-Za-z-]+\((e1,e2|e2,e1)\)$|^Other$")
MARKERS = ("<e1>", "</e1>", "<e2>", "</e2>")
SKIP_HINT = "pass --skip-bad-rows to skip such examples"


def looks_like_semeval(path: str) -> bool:
    """True when the file's first line is ``<id><TAB>"<sentence>"``."""
    file = Path(path)
    if not file.is_file():
        return False
    with open(file, "rb") as handle:
        first = handle.readline().decode("utf-8", errors="replace")
    return SENTENCE.match(first.rstrip("\r\n")) is not None


def marker_problem(text: str) -> str | None:
    """Why ``text``'s entity markers are unusable (None when they are balanced)."""
    counts = {marker: text.count(marker) for marker in MARKERS}
    wrong = [f"{marker} {count} times" for marker, count in counts.items() if count != 1]
    if wrong:
        return f"each entity marker must appear once, found {', '.join(wrong)}"
    at = {marker: text.index(marker) for marker in MARKERS}
    if not (at["<e1>"] < at["</e1>"] and at["<e2>"] < at["</e2>"]):
        return "an entity's closing marker comes before its opening marker"
    if at["<e1>"] < at["<e2>"] < at["</e1>"] or at["<e2>"] < at["<e1>"] < at["</e2>"]:
        return "the <e1> and <e2> entities overlap"
    return None


def read_semeval(path: str, skip_bad_rows: bool = False, with_labels: bool = True) -> TextExamples:
    file = Path(path)
    if not file.is_file():
        raise DataError(BadRow(path, None, None, "file does not exist"))
    lines = file.read_bytes().decode("utf-8-sig", errors="surrogateescape").splitlines()
    report = SkipReport(path)
    texts, labels, numbers = [], [], []
    index = 0
    while index < len(lines):
        if not lines[index].strip() or lines[index].startswith("Comment:"):
            index += 1
            continue
        number = index + 1
        text, label, problem, index = _block(path, lines, index, with_labels)
        if problem is not None:
            if not skip_bad_rows:
                raise DataError(problem, SKIP_HINT)
            report.skipped.append(problem)
            continue
        texts.append(text)
        labels.append(label)
        numbers.append(number)
    if not texts:
        raise DataError(BadRow(path, None, None, "no usable examples"))
    return TextExamples(path, texts, None, labels if with_labels else None, numbers,
                        "relation" if with_labels else None, report)


def _block(path: str, lines: list[str], index: int, with_labels: bool):
    """(text, label, problem, next index) of the example starting at ``lines[index]``."""
    number, line = index + 1, lines[index]
    match = SENTENCE.match(line)
    if has_undecodable(line):
        return None, None, BadRow(path, number, "sentence", "undecodable bytes (the file is not valid UTF-8)"), index + 1
    if match is None:
        return None, None, BadRow(path, number, "sentence", 'expected <id><TAB>"<sentence>"'), index + 1
    text = match.group(2)
    problem = marker_problem(text)
    if problem:
        return None, None, BadRow(path, number, "sentence", problem), index + 1
    if not with_labels:
        return text, None, None, index + 1
    relation = lines[index + 1].strip() if index + 1 < len(lines) else ""
    if not RELATION.match(relation):
        return None, None, BadRow(path, number + 1, "relation",
                                  f"expected a relation like Cause-Effect(e1,e2) or Other, found '{relation}'"), index + 2
    return text, relation, None, index + 2
