"""BM25 in the serving graph, fused with the dense scores: hybrid search.

Terms are lowercased runs of letters and digits, and each Chinese character
on its own (`terms`); the corpus's terms are found with the same TF ops the
served graph runs on each query, so both sides tokenize alike. Each (document,
term) pair stores its Lucene BM25 weight

    idf(t) · tf / (tf + k1 · (1 − b + b · length / mean length)),
    idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)),

as a row-sorted sparse matrix, so a query's BM25 score of every document is
one sparse × dense product (the query's term counts). The fused score is

    w · dense + (1 − w) · bm25 / Σ_{t ∈ query} idf(t),

the lexical part divided by its largest possible value for that query so it
lies in [0, 1) like a cosine; ``w`` (``dense_weight``) is chosen on validation
queries (`tfft.retrieval.fusion_weight`). The normaliser needs no other
document, so chunked scoring fuses chunk by chunk.

Example:

>>> scorer = Bm25Scorer(["the cat sat", "a dog"], dense_weight=0.6)
>>> rescore = scorer.for_queries(tf.constant(["cat"]))
>>> rescore(dense_scores, 0, 2)  # [1, 2] fused scores
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfft.heartbeat import Heartbeat

K1, B = 1.5, 0.75
TERM_BATCH = 1024  # corpus texts tokenized per call


def terms(texts: tf.Tensor) -> tf.RaggedTensor:
    """``[batch]`` strings → ragged ``[batch, (terms)]``: lowercased letter/digit runs, CJK one by one."""
    lowered = tf.strings.lower(texts, encoding="utf-8")
    spaced = tf.strings.regex_replace(lowered, r"(\p{Han})", r" \1 ")
    words = tf.strings.regex_replace(spaced, r"[^\p{L}\p{N}]+", " ")
    return tf.strings.split(tf.strings.strip(words))


class Bm25Scorer(tf.Module):
    """The corpus's BM25 weights (CSR by document) and a vocabulary table; fuses with dense scores."""

    def __init__(self, texts: list[str], dense_weight: float = 0.5, k1: float = K1, b: float = B):
        super().__init__(name="bm25")
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError(f"the dense weight must lie in [0, 1], got {dense_weight}")
        documents = corpus_terms(texts)
        vocabulary = sorted({term for document in documents for term in document})
        position = {term: i for i, term in enumerate(vocabulary)}
        weights, idf = _bm25_weights(documents, position, k1, b)
        self.k1, self.b, self.vocabulary_size = k1, b, len(vocabulary)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(vocabulary or [""], tf.string),
                                                tf.range(max(len(vocabulary), 1), dtype=tf.int64)), -1)
        self.idf = tf.Variable(idf if len(idf) else np.zeros(1, "float32"), trainable=False, name="idf")
        self.row_starts = tf.Variable(weights["row_starts"], trainable=False, name="row_starts")
        self.term_ids = tf.Variable(weights["term_ids"], trainable=False, name="term_ids")
        self.weights = tf.Variable(weights["weights"], trainable=False, name="weights")
        self.dense_weight = tf.Variable(float(dense_weight), trainable=False, name="dense_weight")

    def describe(self) -> dict:
        return {"method": "bm25 (lucene)", "k1": self.k1, "b": self.b, "terms": self.vocabulary_size,
                "postings": int(self.weights.shape[0]), "dense_weight": round(float(self.dense_weight.numpy()), 4)}

    def query_counts(self, query: tf.Tensor) -> tf.Tensor:
        """``[batch, vocabulary]`` counts of each known term in each query."""
        ids = tf.ragged.map_flat_values(self.table.lookup, terms(query))
        known = tf.ragged.boolean_mask(ids, ids >= 0)
        return tf.math.bincount(known, minlength=self.idf.shape[0], maxlength=self.idf.shape[0],
                                dtype=tf.float32, axis=-1)

    def lexical(self, counts: tf.Tensor, start, size) -> tf.Tensor:
        """``[batch, size]`` BM25 scores of documents ``start .. start + size``."""
        first, last = self.row_starts[start], self.row_starts[start + size]
        lengths = self.row_starts[start + 1:start + size + 1] - self.row_starts[start:start + size]
        rows = tf.repeat(tf.range(size, dtype=tf.int64), lengths)
        block = tf.sparse.SparseTensor(tf.stack([rows, self.term_ids[first:last]], axis=1),
                                       self.weights[first:last], tf.cast([size, self.idf.shape[0]], tf.int64))
        return tf.transpose(tf.sparse.sparse_dense_matmul(block, counts, adjoint_b=True))

    def normalised(self, query: tf.Tensor):
        """``lexical(start, size)``: the queries' BM25 scores of those rows over their largest possible value."""
        counts = self.query_counts(query)
        ceiling = tf.maximum(tf.linalg.matvec(counts, self.idf), 1e-6)[:, None]
        return lambda start, size: self.lexical(counts, start, size) / ceiling

    def for_queries(self, query: tf.Tensor):
        """``rescore(dense, start, size)`` for `CorpusMatrix.top_k`: the fused scores of those rows."""
        lexical = self.normalised(query)
        return lambda dense, start, size: fuse(dense, lexical(start, size), self.dense_weight)


def fuse(dense, lexical, dense_weight):
    return dense_weight * dense + (1.0 - dense_weight) * lexical


def corpus_terms(texts: list[str]) -> list[list[str]]:
    """Each text's terms, found with the same graph ops as a served query's."""
    beat = Heartbeat("finding the corpus's terms", len(texts), "documents")
    found = []
    for start in range(0, len(texts), TERM_BATCH):
        batch = terms(tf.constant(texts[start:start + TERM_BATCH])).to_list()
        found += [[term.decode("utf-8") for term in document] for document in batch]
        beat.tick(len(found))
    return found


def _bm25_weights(documents: list[list[str]], position: dict[str, int], k1: float, b: float):
    """CSR arrays of every (document, term) weight, and the idf of each term."""
    count = len(documents)
    frequency = np.zeros(len(position), dtype="float64")
    rows = []
    for document in documents:
        ids, tf_counts = np.unique(np.array([position[t] for t in document], dtype="int64"), return_counts=True)
        frequency[ids] += 1
        rows.append((ids, tf_counts.astype("float64"), len(document)))
    idf = np.log1p((count - frequency + 0.5) / (frequency + 0.5))
    mean_length = max(np.mean([length for _, _, length in rows]), 1e-9)
    term_ids, weights, row_starts = [], [], [0]
    for ids, tf_counts, length in rows:
        term_ids.append(ids)
        weights.append(idf[ids] * tf_counts / (tf_counts + k1 * (1 - b + b * length / mean_length)))
        row_starts.append(row_starts[-1] + len(ids))
    return ({"row_starts": np.array(row_starts, dtype="int64"),
             "term_ids": np.concatenate(term_ids) if term_ids else np.zeros(0, "int64"),
             "weights": np.concatenate(weights).astype("float32") if weights else np.zeros(0, "float32")},
            idf.astype("float32"))
