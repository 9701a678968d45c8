"""Retrieval evaluation of a search index on (query, relevant ids) rows.

The relevant-ids column holds one id, several joined by ``|``, or (JSONL) a
list of ids. Scores: Recall@1/5/10, MRR@10, nDCG@10 of the index's ranked ids
(`tfft.evaluation.retrieval_metrics`); cut-offs beyond the index's ``top_k``
see only its ``top_k`` matches.

Example:

>>> queries = read_queries("faq_queries.csv", "question", "answer_id")
>>> evaluate_index(Path("saved_models/faq-index"), queries)["mrr@10"]
0.83
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfft.config import DataConfig
from tfft.data.errors import BadRow, DataError
from tfft.data.readers import read_examples
from tfft.evaluation.retrieval_metrics import retrieval_metrics
from tfft.export.loaded import LoadedExport
from tfft.retrieval.search_index import QUERY, indexed_ids

SEPARATOR = "|"


@dataclass
class Queries:
    source: str
    texts: list[str]
    relevant: list[set[str]]
    lines: list[int | None]
    relevant_column: str

    def __len__(self) -> int:
        return len(self.texts)


def read_queries(path: str, query_column: str, relevant_column: str, skip_bad_rows: bool = False) -> Queries:
    data = DataConfig(text_column=query_column, label_column=relevant_column, skip_bad_rows=skip_bad_rows)
    examples = read_examples(path, data)
    relevant = []
    for value, line in zip(examples.labels, examples.lines):
        ids = value if isinstance(value, list) else str(value).split(SEPARATOR)
        ids = {str(doc).strip() for doc in ids if str(doc).strip()}
        if not ids:
            raise DataError(BadRow(path, line, relevant_column, "no relevant id"),
                            f"give one id, several joined by '{SEPARATOR}', or a JSON list")
        relevant.append(ids)
    return Queries(path, examples.texts, relevant, examples.lines, relevant_column)


def check_known_ids(queries: Queries, known: set[str], holder: str | Path) -> None:
    """A relevant id the index does not hold is a typo or a stale file: name its line."""
    for ids, line in zip(queries.relevant, queries.lines):
        missing = sorted(ids - known)
        if missing:
            raise DataError(BadRow(queries.source, line, queries.relevant_column,
                                   f"id '{missing[0]}' is not in {holder}"),
                            "relevant ids must be ids of the indexed corpus")


def ranked_ids(index: LoadedExport, texts: list[str]) -> list[list[str]]:
    found = index.predict({QUERY: texts})["ids"]
    return [[doc.decode("utf-8") for doc in row] for row in found]


def evaluate_index(index_path: Path, queries: Queries) -> dict[str, float]:
    """Recall@1/5/10, MRR@10 and nDCG@10 of the index's rankings of ``queries``."""
    index = LoadedExport(index_path)
    known = indexed_ids(index.module)
    check_known_ids(queries, known, index.path)
    metrics = retrieval_metrics(ranked_ids(index, queries.texts), queries.relevant)
    return {"queries": len(queries), "rows": len(known), **metrics}
