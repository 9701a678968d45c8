"""BM25 in the serving graph, fused with the dense scores: hybrid search.

Terms are lowercased runs of letters and digits, and each Chinese character
on its own (`terms`); the corpus's terms are found with the same TF ops the
served graph runs on each query, so both sides tokenize alike. Each (document,
term) pair stores its Lucene BM25 weight

    idf(t) · tf / (tf + k1 · (1 − b + b · length / mean length)),
    idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)),

as postings grouped by term, so a query reads only its own terms' postings
and sums them per document. The fused score is

    w · dense + (1 − w) · bm25 / Σ_{t ∈ query} idf(t),

the lexical part divided by its largest possible value for that query so it
lies in [0, 1) like a cosine; ``w`` (``dense_weight``) is chosen on validation
queries (`tfft.retrieval.fusion_weight`). The normaliser needs no other
document, so chunked scoring fuses chunk by chunk (the lexical scores of all
rows are held once per request).

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
    """The corpus's BM25 weights as postings by term, and a vocabulary table; fuses with dense scores."""

    def __init__(self, texts: list[str], dense_weight: float = 0.5, k1: float = K1, b: float = B):
        super().__init__(name="bm25")
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError(f"the dense weight must lie in [0, 1], got {dense_weight}")
        documents = corpus_terms(texts)
        vocabulary = sorted({term for document in documents for term in document})
        postings, idf = _bm25_postings(documents, {term: i for i, term in enumerate(vocabulary)}, k1, b)
        self.k1, self.b, self.vocabulary_size, self.rows = k1, b, len(vocabulary), len(texts)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(vocabulary or [""], tf.string),
                                                tf.range(max(len(vocabulary), 1), dtype=tf.int64)), -1)
        self.idf = tf.Variable(idf if len(idf) else np.zeros(1, "float32"), trainable=False, name="idf")
        self.term_starts = tf.Variable(postings["term_starts"], trainable=False, name="term_starts")
        self.documents = tf.Variable(postings["documents"], trainable=False, name="documents")
        self.weights = tf.Variable(postings["weights"], trainable=False, name="weights")
        self.dense_weight = tf.Variable(float(dense_weight), trainable=False, name="dense_weight")

    def describe(self) -> dict:
        return {"method": "bm25 (lucene)", "k1": self.k1, "b": self.b, "terms": self.vocabulary_size,
                "postings": int(self.weights.shape[0]), "dense_weight": round(float(self.dense_weight.numpy()), 4)}

    def query_terms(self, query: tf.Tensor) -> tf.RaggedTensor:
        """Vocabulary ids of each query's known terms, repeats kept (a repeated term counts twice)."""
        ids = tf.ragged.map_flat_values(self.table.lookup, terms(query))
        return tf.ragged.boolean_mask(ids, ids >= 0)

    def lexical(self, query: tf.Tensor) -> tf.Tensor:
        """``[batch, rows]`` BM25 scores: only the postings of the queries' own terms are read."""
        ids = self.query_terms(query)
        starts, limits = tf.gather(self.term_starts, ids.flat_values), tf.gather(self.term_starts, ids.flat_values + 1)
        positions = tf.ragged.range(starts, limits)  # one row of posting positions per query term
        queries = tf.repeat(ids.value_rowids(), positions.row_lengths())
        documents = tf.gather(self.documents, positions.flat_values)
        batch = tf.shape(query, out_type=tf.int64)[0]
        flat = tf.math.unsorted_segment_sum(tf.gather(self.weights, positions.flat_values),
                                            queries * self.rows + documents, batch * self.rows)
        return tf.reshape(flat, [batch, self.rows])

    def normalised(self, query: tf.Tensor) -> tf.Tensor:
        """`lexical` over each query's largest possible BM25 score (the sum of its terms' idf): in [0, 1)."""
        ceiling = tf.reduce_sum(tf.gather(self.idf, self.query_terms(query)), axis=1)
        return self.lexical(query) / tf.maximum(ceiling, 1e-6)[:, None]

    def for_queries(self, query: tf.Tensor):
        """``rescore(dense, start, size)`` for `CorpusMatrix.top_k`: the fused scores of those rows.

        The lexical scores of all rows are computed once per request (``batch × rows`` floats).
        """
        lexical = self.normalised(query)
        return lambda dense, start, size: fuse(dense, lexical[:, start:start + size], self.dense_weight)


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


def _bm25_postings(documents: list[list[str]], position: dict[str, int], k1: float, b: float):
    """Every (document, term) weight grouped by term (``term_starts`` into ``documents``/``weights``), and idf."""
    count = len(documents)
    entries = [np.unique(np.array([position[t] for t in document], dtype="int64"), return_counts=True)
               for document in documents]
    lengths = np.array([len(document) for document in documents], dtype="float64")
    term_ids = np.concatenate([ids for ids, _ in entries]) if entries else np.zeros(0, "int64")
    counts = np.concatenate([c for _, c in entries]).astype("float64") if entries else np.zeros(0)
    rows = np.repeat(np.arange(count, dtype="int64"), [len(ids) for ids, _ in entries])
    frequency = np.bincount(term_ids, minlength=len(position)).astype("float64")
    idf = np.log1p((count - frequency + 0.5) / (frequency + 0.5))
    norm = k1 * (1 - b + b * lengths / max(lengths.mean() if count else 0.0, 1e-9))
    weights = idf[term_ids] * counts / (counts + norm[rows])
    order = np.argsort(term_ids, kind="stable")  # by term, documents ascending within a term
    term_starts = np.concatenate([[0], np.cumsum(frequency)]).astype("int64")
    return ({"term_starts": term_starts, "documents": rows[order], "weights": weights[order].astype("float32")},
            idf.astype("float32"))
