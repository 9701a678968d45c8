"""Validation messages for the assistant: text, the true intent (or the out-of-scope label), the answer id.

The answer-id column is optional and may be empty (out-of-scope rows, or
messages no single FAQ entry answers); when given, answer accuracy is
reported too.

Example:

>>> messages = read_labelled_messages("validation.csv", "text", "intent", "answer_id")
>>> messages.intents[:2], messages.answer_ids[:2]
(['refund_request', 'out_of_scope'], ['refund-method', ''])
"""

from __future__ import annotations

from dataclasses import dataclass

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError
from tfft.data.readers import file_rows, read_examples
from tfft.data.rows import HeaderRow

OUT_OF_SCOPE = "out_of_scope"


@dataclass
class LabelledMessages:
    source: str
    texts: list[str]
    intents: list[str]
    answer_ids: list[str] | None
    lines: list[int | None]
    intent_column: str
    answer_id_column: str | None

    def __len__(self) -> int:
        return len(self.texts)

    def check_known(self, intents: set[str], out_of_scope: str, answer_ids: set[str] | None, holders: str) -> None:
        """Every intent is a classifier label or ``out_of_scope``; every answer id is in the index."""
        for i, line in enumerate(self.lines):
            if self.intents[i] not in intents and self.intents[i] != out_of_scope:
                raise DataError(BadRow(self.source, line, self.intent_column,
                                       f"intent '{self.intents[i]}' is neither a label of {holders} "
                                       f"nor the out-of-scope label '{out_of_scope}'"),
                                f"labels: {', '.join(sorted(intents))}")
            if self.answer_ids and answer_ids is not None and self.answer_ids[i] \
                    and self.answer_ids[i] not in answer_ids:
                raise DataError(BadRow(self.source, line, self.answer_id_column,
                                       f"answer id '{self.answer_ids[i]}' is not in {holders}"),
                                "answer ids must be ids of the indexed FAQ")


def read_labelled_messages(path: str, text_column: str = "text", intent_column: str = "intent",
                           answer_id_column: str | None = None, skip_bad_rows: bool = False) -> LabelledMessages:
    examples = read_examples(path, DataConfig(text_column=text_column, label_column=intent_column,
                                              skip_bad_rows=skip_bad_rows))
    answer_ids = _answer_ids(path, answer_id_column, examples.lines) if answer_id_column else None
    return LabelledMessages(path, examples.texts, [str(label) for label in examples.labels], answer_ids,
                            examples.lines, intent_column, answer_id_column)


def _answer_ids(path: str, column: str, lines: list[int | None]) -> list[str]:
    """The (possibly empty) answer id of each kept line; a file whose header lacks the column stops."""
    by_line = {}
    for line, row in file_rows(path):
        if isinstance(row, HeaderRow) and row.header is not None and column not in row.header:
            raise DataError(BadRow(path, line, column, "column not found"),
                            f"the file's columns are {', '.join(row.header)}; name the answer-id column "
                            f"with --answer-id-column or leave it out")
        if isinstance(row, dict):
            by_line[line] = str(row.get(column) or "").strip()
    return [by_line.get(line, "") for line in lines]
