"""``build_index``: embed a corpus with an embedding export and publish it as a new search-index version.

Changing the corpus (added, edited or removed documents) is a new run of
``build_index`` on the new file: the next version is written beside the old
ones, no training involved, and TF Serving moves to it.

Example:

>>> corpus = read_corpus("faq.csv", "question", "id", ["answer"])
>>> build_index(Path("saved_models/faq-embedder"), corpus, Path("saved_models/faq-index"), storage="int8")
PosixPath('saved_models/faq-index/1')
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfft.export.loaded import LoadedExport
from tfft.config import INDEX_DENSE_WEIGHT
from tfft.export.module_export import save_module_version
from tfft.heartbeat import Heartbeat
from tfft.retrieval.bm25 import Bm25Scorer
from tfft.retrieval.corpus import Corpus
from tfft.retrieval.corpus_matrix import CHUNK_ROWS, CorpusMatrix
from tfft.retrieval.fusion_weight import choose_dense_weight
from tfft.retrieval.queries import Queries, check_known_ids
from tfft.retrieval.search_index import QUERY, SearchIndex

logger = logging.getLogger(__name__)

INDEX_TASK = "search_index"
EMBED_BATCH_SIZE = 64


def load_embedder(path: Path) -> LoadedExport:
    """The export at ``path``, checked to take ``text`` and return ``embedding``."""
    exported = LoadedExport(path)
    outputs = exported.signature.structured_outputs
    if exported.input_names != ["text"] or "embedding" not in outputs:
        raise ValueError(f"{exported.path} is not an embedding export: it takes {exported.input_names} and "
                         f"returns {sorted(outputs)}; train one with task: embedding")
    return exported


def embed_texts(embedder: LoadedExport, texts: list[str], batch_size: int = EMBED_BATCH_SIZE) -> np.ndarray:
    """``[len(texts), dim]`` embeddings, batches of similar length (less padding), with progress."""
    order = np.argsort([len(text) for text in texts], kind="stable")
    dim = embedder.signature.structured_outputs["embedding"].shape[-1]
    vectors = np.zeros((len(texts), dim), dtype="float32")
    beat = Heartbeat("embedding the corpus", len(texts), "documents")
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        vectors[rows] = embedder(text=tf.constant([texts[i] for i in rows]))["embedding"].numpy()
        beat.tick(start + len(rows))
    return vectors


def build_index(embedder_path: Path, corpus: Corpus, model_root: Path, storage: str = "float32",
                top_k: int = 10, chunk_rows: int = CHUNK_ROWS, version: int | None = None,
                hybrid: bool = False, dense_weight: float = INDEX_DENSE_WEIGHT,
                validation: Queries | None = None) -> Path:
    """Writes ``model_root/<version>/``, a SavedModel: ``query`` → ``ids``, ``scores``, payloads.

    Args:
        embedder_path: an embedding export (model or version folder).
        corpus: the documents; their texts are embedded, ids and payloads served back.
        model_root: the index's model folder; the version is the next free one unless given.
        storage: ``float32``, ``bfloat16`` or ``int8`` corpus matrix.
        top_k: matches returned per query.
        chunk_rows: corpus rows scored at once (bounds memory on large corpora).
        hybrid: fuse in-graph BM25 scores with the dense ones (`tfft.retrieval.bm25`).
        dense_weight: the dense share of the fused score, unless ``validation`` chooses it.
        validation: (query, relevant ids) rows on which the hybrid dense weight is chosen.
    """
    embedder = load_embedder(embedder_path)
    logger.info("embedding %d documents of %s with %s", len(corpus), corpus.source, embedder.path)
    vectors = embed_texts(embedder, corpus.texts)
    matrix = CorpusMatrix(vectors, storage, chunk_rows)
    scorer, chosen = None, None
    if hybrid:
        scorer = Bm25Scorer(corpus.texts, dense_weight)
        if validation is not None:
            check_known_ids(validation, set(corpus.ids), corpus.source)
            weight, chosen = choose_dense_weight(embed_texts(embedder, validation.texts), matrix, scorer,
                                                 corpus.ids, validation)
            scorer.dense_weight.assign(weight)
    index = SearchIndex(embedder.module, matrix, corpus.ids, corpus.payloads, top_k, scorer)
    metadata = {"task": INDEX_TASK, "serving_inputs": [QUERY], "embedder": str(embedder.path), "storage": storage,
                "top_k": index.top_k, "chunk_rows": chunk_rows, "rows": len(corpus), "dim": int(vectors.shape[1]),
                "corpus": corpus.source, "payloads": sorted(corpus.payloads),
                "hybrid": _hybrid_metadata(scorer, validation, chosen)}
    return save_module_version(index, index.serving_function(), model_root, metadata,
                               {QUERY: corpus.texts[:8]}, version)

def _hybrid_metadata(scorer: Bm25Scorer | None, validation: Queries | None, chosen: dict | None) -> dict | None:
    if scorer is None:
        return None
    described = scorer.describe()
    if validation is not None:
        described["chosen_on"] = {"file": validation.source, "queries": len(validation),
                                  "mrr@10_by_dense_weight": {str(w): round(v, 4) for w, v in chosen.items()}}
    return described
