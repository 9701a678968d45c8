"""The documents of a search index: an id, the text that is embedded, and payload columns served back.

Example:

>>> corpus = read_corpus("faq.csv", text_column="question", id_column="id", payload_columns=["answer"])
>>> corpus.ids[0], corpus.texts[0], corpus.payloads["answer"][0]
('reset-password', 'How do I reset my password?', 'Open Settings, then ...')
"""

from __future__ import annotations

from dataclasses import dataclass

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError
from tfft.data.readers import read_with_columns

RESERVED = ("ids", "scores")  # output names of the index signature


@dataclass
class Corpus:
    source: str
    ids: list[str]
    texts: list[str]
    payloads: dict[str, list[str]]
    lines: list[int | None]

    def __len__(self) -> int:
        return len(self.ids)


def read_corpus(path: str, text_column: str, id_column: str, payload_columns: list[str] = (),
                skip_bad_rows: bool = False) -> Corpus:
    """Reads a CSV/TSV/JSONL/Parquet corpus; ids must be unique and payload names free."""
    for name in payload_columns:
        if name in RESERVED:
            raise DataError(BadRow(path, None, name, f"a payload column cannot be named '{name}'"),
                            f"{' and '.join(RESERVED)} are outputs of every index; rename the column")
    data = DataConfig(text_column=text_column, label_column=id_column, skip_bad_rows=skip_bad_rows)
    try:
        examples, payloads = read_with_columns(path, data, list(payload_columns))
    except DataError as error:
        if "not found in header" not in error.bad_row.reason:
            raise
        raise DataError(error.bad_row, "name the columns with --text-column, --id-column and --payload-column") \
            from None
    first_line: dict[str, int | None] = {}
    for doc_id, line in zip(examples.labels, examples.lines):
        if doc_id in first_line:
            raise DataError(BadRow(path, line, id_column, f"id '{doc_id}' already used on line {first_line[doc_id]}"),
                            "every document needs its own id")
        first_line[doc_id] = line
    return Corpus(path, [str(i) for i in examples.labels], examples.texts,
                  dict(zip(payload_columns, payloads)), examples.lines)
