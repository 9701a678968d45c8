"""Ranking quality of retrieved ids against the relevant ones: Recall@k, MRR@k, nDCG@k.

The embedding task's validation and ``tfft evaluate`` on a search index score
their rankings here, with binary relevance as in BEIR and MS MARCO:

- Recall@k: the share of a query's relevant ids found in its top k, averaged over queries.
- MRR@k: 1 / rank of the first relevant id in the top k (0 when none), averaged.
- nDCG@k: DCG of the top k (gain 1 / log2(rank + 1) per relevant id) over the
  DCG of an ideal ranking of ``min(k, relevant)`` hits, averaged.

Example:

>>> retrieval_metrics([["d2", "d1"]], [{"d1"}], ks=(1, 2))
{'recall@1': 0.0, 'recall@2': 1.0, 'mrr@10': 0.5, 'ndcg@10': 0.6309297535714575}
"""

from __future__ import annotations

import math
from typing import Hashable, Sequence


def retrieval_metrics(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[set],
                      ks: Sequence[int] = (1, 5, 10), cutoff: int = 10) -> dict[str, float]:
    """Mean Recall@k for each k in ``ks``, and MRR and nDCG at ``cutoff``, over the queries.

    Args:
        ranked: per query, the retrieved ids, best first.
        relevant: per query, the set of relevant ids (queries without any are an error).
        ks: the cut-offs of Recall@k.
        cutoff: the cut-off of MRR and nDCG.
    """
    if len(ranked) != len(relevant):
        raise ValueError(f"{len(ranked)} rankings for {len(relevant)} queries")
    if not ranked:
        raise ValueError("no queries to score")
    if any(not ids for ids in relevant):
        raise ValueError("every query needs at least one relevant id")
    totals = {f"recall@{k}": 0.0 for k in ks}
    totals[f"mrr@{cutoff}"] = totals[f"ndcg@{cutoff}"] = 0.0
    for ids, wanted in zip(ranked, relevant):
        hits = [doc in wanted for doc in _unique(ids)]
        for k in ks:
            totals[f"recall@{k}"] += sum(hits[:k]) / len(wanted)
        first = next((rank for rank, hit in enumerate(hits[:cutoff], 1) if hit), None)
        totals[f"mrr@{cutoff}"] += 1.0 / first if first else 0.0
        totals[f"ndcg@{cutoff}"] += _ndcg(hits[:cutoff], min(len(wanted), cutoff))
    return {name: value / len(ranked) for name, value in totals.items()}


def _unique(ids: Sequence[Hashable]) -> list[Hashable]:
    """``ids`` without repeats (a repeated relevant id counts once, at its best rank)."""
    seen: set = set()
    return [doc for doc in ids if not (doc in seen or seen.add(doc))]


def _ndcg(hits: list[bool], ideal_hits: int) -> float:
    dcg = sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(hits, 1) if hit)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, ideal_hits + 1))
    return dcg / ideal
