"""The dense weight of hybrid search, chosen on validation queries: the best MRR@10 on a grid.

Example:

>>> weight, mrr = choose_dense_weight(query_vectors, matrix, scorer, corpus.ids, validation)
>>> weight, mrr[weight]
(0.7, 0.81)
"""

from __future__ import annotations

import logging

import numpy as np
import tensorflow as tf

from tfft.evaluation.retrieval_metrics import retrieval_metrics
from tfft.retrieval.bm25 import Bm25Scorer, fuse
from tfft.retrieval.corpus_matrix import CorpusMatrix
from tfft.retrieval.queries import Queries

logger = logging.getLogger(__name__)

GRID = tuple(round(w, 2) for w in np.linspace(0.0, 1.0, 11))  # 0 is BM25 alone, 1 dense alone
RANKED = 10
QUERY_BATCH = 64


def choose_dense_weight(query_vectors: np.ndarray, matrix: CorpusMatrix, scorer: Bm25Scorer, ids: list[str],
                        queries: Queries) -> tuple[float, dict[float, float]]:
    """(the weight with the highest MRR@10, MRR@10 of every grid weight); ties go to the larger weight."""
    ranked: dict[float, list[list[str]]] = {weight: [] for weight in GRID}
    for start in range(0, len(queries), QUERY_BATCH):
        vectors = tf.constant(query_vectors[start:start + QUERY_BATCH])
        dense = matrix.scores(vectors)
        lexical = scorer.normalised(tf.constant(queries.texts[start:start + QUERY_BATCH]))
        for weight in GRID:
            top = tf.math.top_k(fuse(dense, lexical, weight), min(RANKED, matrix.rows)).indices
            ranked[weight] += [[ids[i] for i in row] for row in top.numpy()]
    mrr = {weight: retrieval_metrics(ranked[weight], queries.relevant)[f"mrr@{RANKED}"] for weight in GRID}
    best = max(GRID, key=lambda weight: (mrr[weight], weight))
    logger.info("hybrid dense weight %.1f (validation MRR@10 %.4f; BM25 alone %.4f, dense alone %.4f)",
                best, mrr[best], mrr[0.0], mrr[1.0])
    return best, mrr
