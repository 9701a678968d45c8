"""Prompt → response pairs for generation tasks, from tables or parallel text files.

- A table (CSV, TSV, JSONL, Parquet, TFDS): ``data.text_column`` is the prompt
  (a dialogue, a source sentence) and ``data.label_column`` the response (its
  summary, its translation).
- Parallel text (Multi30k style): ``<path>.<source_suffix>`` and
  ``<path>.<target_suffix>``, one segment per line, line N of one file matching
  line N of the other.
- Dialogue (``messages=True``): JSONL whose ``data.text_column`` holds chat
  messages ``[{"role": "user", "content": "..."}, ...]``; the last message (an
  assistant turn) is the response and the earlier turns, one ``role: content``
  line each, the prompt. With ``task_options.truncate: turns`` long histories
  lose their oldest whole turns first.

Example:

>>> examples = read_generation_examples("../shared/data/multi30k/train", DataConfig(), ("en", "de"))
>>> examples.prompts[0], examples.responses[0], examples.lines[0]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError, SkipReport
from tfft.data.readers import json_objects, pick_rows, read_examples


@dataclass
class GenerationExamples:
    """Prompts, their reference responses (None for unlabelled data) and source lines."""

    source: str
    prompts: list[str]
    responses: list[str] | None
    lines: list[int | None]
    skipped: SkipReport | None = None

    def __len__(self) -> int:
        return len(self.prompts)

    def subset(self, indices) -> "GenerationExamples":
        indices = list(indices)
        return GenerationExamples(self.source, pick_rows(self.prompts, indices),
                                  pick_rows(self.responses, indices), pick_rows(self.lines, indices),
                                  self.skipped)


def read_generation_examples(path: str, data: DataConfig, parallel: Sequence[str] | None = None,
                             with_labels: bool = True, messages: bool = False) -> GenerationExamples:
    """Reads a table, chat messages, or the parallel files ``path.<parallel[0]>`` / ``path.<parallel[1]>``."""
    if messages:
        return _read_messages(path, data, with_labels)
    if parallel:
        source, target = parallel
        return _read_parallel(Path(f"{path}.{source}"), Path(f"{path}.{target}") if with_labels else None,
                              data.skip_bad_rows)
    examples = read_examples(path, data, with_labels)
    return GenerationExamples(examples.source, list(examples.texts),
                              [str(label) for label in examples.labels] if with_labels else None,
                              list(examples.lines), examples.skipped)


def _read_messages(path: str, data: DataConfig, with_labels: bool) -> GenerationExamples:
    if not Path(path).is_file():
        raise FileNotFoundError(f"chat file {path} does not exist")
    report = SkipReport(path)
    prompts, responses, lines = [], [], []
    for line, row in json_objects(Path(path)):
        try:
            if isinstance(row, BadRow):
                raise ValueError(row.reason)
            turns = _turns(row.get(data.text_column))
            if with_labels and turns[-1][0] != "assistant":
                raise ValueError(f"the last message is from '{turns[-1][0]}', expected the assistant's reply")
        except ValueError as error:
            problem = BadRow(path, line, data.text_column, str(error))
            if not data.skip_bad_rows:
                raise DataError(problem, "each line needs messages ending with an assistant turn") from None
            report.skipped.append(problem)
            continue
        history = turns[:-1] if with_labels else turns
        prompts.append("\n".join(f"{role}: {content}" for role, content in history))
        responses.append(turns[-1][1])
        lines.append(line)
    if not prompts:
        raise DataError(BadRow(path, None, None, "no usable conversations"))
    return GenerationExamples(path, prompts, responses if with_labels else None, lines, report)


def _turns(conversation) -> list[tuple[str, str]]:
    if not isinstance(conversation, list) or len(conversation) < 2:
        raise ValueError("expected a list of at least two messages")
    turns = []
    for message in conversation:
        if not isinstance(message, dict) or not {"role", "content"} <= set(message):
            raise ValueError(f"each message needs 'role' and 'content', got {str(message)[:80]}")
        turns.append((str(message["role"]).strip(), str(message["content"]).strip()))
    return turns


def _read_parallel(source: Path, target: Path | None, skip_bad_rows: bool) -> GenerationExamples:
    prompts_by_line = _lines(source)
    responses_by_line = _lines(target) if target is not None else None
    if responses_by_line is not None and len(responses_by_line) != len(prompts_by_line):
        raise DataError(BadRow(str(target), min(len(prompts_by_line), len(responses_by_line)) + 1, None,
                               f"{len(responses_by_line)} lines, but {source} has {len(prompts_by_line)}"),
                        "parallel files must match line for line")
    report = SkipReport(f"{source} + {target}")
    prompts, responses, lines = [], [], []
    for index, prompt in enumerate(prompts_by_line):
        response = responses_by_line[index] if responses_by_line is not None else "x"
        for path, value in ((source, prompt), (target, response)):
            if not value.strip():
                problem = BadRow(str(path), index + 1, None, "empty line")
                if not skip_bad_rows:
                    raise DataError(problem, "use --skip-bad-rows to skip such pairs")
                report.skipped.append(problem)
                break
        else:
            prompts.append(prompt)
            lines.append(index + 1)
            if responses_by_line is not None:
                responses.append(response)
    return GenerationExamples(str(source), prompts, responses if responses_by_line is not None else None,
                              lines, report)


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise FileNotFoundError(f"parallel text file {path} does not exist")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise DataError(BadRow(str(path), line, None, "not UTF-8"), "re-encode the file, e.g. iconv -t UTF-8") from None
    return text.splitlines()
