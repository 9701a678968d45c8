"""The corpus embeddings of a search index, stored as float32, bfloat16 or int8, scored in chunks.

One matrix product of the query embeddings against every stored row, then
top-k. ``bfloat16`` halves the matrix and is faster on CPUs with AVX512_BF16
or AMX; ``int8`` stores each row as int8 with its own float scale (a quarter
of float32) and scores in float32. Corpora longer than ``chunk_rows`` are
scored one chunk at a time, so the scores held at once stay ``batch ×
chunk_rows`` whatever the corpus size.

Example:

>>> matrix = CorpusMatrix(unit_vectors, "int8")
>>> scores, rows = matrix.top_k(tf.constant(query_vectors), k=10)
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfft.config import INDEX_CHUNK_ROWS as CHUNK_ROWS
from tfft.config import INDEX_STORAGE as STORAGE


class CorpusMatrix(tf.Module):
    """``[rows, dim]`` unit vectors and the in-graph top-k of their dot products with queries."""

    def __init__(self, vectors: np.ndarray, storage: str = "float32", chunk_rows: int = CHUNK_ROWS):
        super().__init__(name="corpus_matrix")
        if storage not in STORAGE:
            raise ValueError(f"corpus storage '{storage}' is not supported; choose one of {', '.join(STORAGE)}")
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
        vectors = np.asarray(vectors, dtype="float32")
        self.storage, self.rows, self.chunk_rows = storage, len(vectors), int(chunk_rows)
        self.row_scale = tf.Variable(np.ones(len(vectors), "float32"), trainable=False, name="row_scale")
        if storage == "int8":
            scale = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
            self.row_scale.assign(scale.astype("float32"))
            vectors = np.round(vectors / scale[:, None]).astype("int8")
        self.vectors = tf.Variable(tf.constant(vectors, dtype=storage), trainable=False, name="vectors")

    def scores(self, queries: tf.Tensor, start=0, size=None) -> tf.Tensor:
        """``[batch, size]`` dot products of the queries with rows ``start .. start + size``."""
        size = self.rows if size is None else size
        rows = self.vectors[start:start + size]
        if self.storage == "bfloat16":
            product = tf.matmul(tf.cast(queries, tf.bfloat16), rows, transpose_b=True)
            return tf.cast(product, tf.float32)
        product = tf.matmul(queries, tf.cast(rows, tf.float32), transpose_b=True)
        return product * self.row_scale[start:start + size] if self.storage == "int8" else product

    def top_k(self, queries: tf.Tensor, k: int, rescore=None) -> tuple[tf.Tensor, tf.Tensor]:
        """The ``k`` best (scores, row numbers) per query, best first.

        ``rescore(dense, start, size)``, when given, turns the ``[batch, size]``
        dense scores of rows ``start .. start + size`` into the scores ranked
        (hybrid fusion adds the lexical ones).
        """
        k = min(int(k), self.rows)
        score = rescore or (lambda dense, start, size: dense)
        if self.rows <= self.chunk_rows:
            best = tf.math.top_k(score(self.scores(queries), 0, self.rows), k)
            return best.values, best.indices
        starts = tf.range(0, self.rows, self.chunk_rows)

        def chunk(start):
            size = tf.minimum(self.chunk_rows, self.rows - start)
            scores = score(self.scores(queries, start, size), start, size)
            # The last chunk may hold fewer than k rows; its padding never outranks a real row.
            scores = tf.pad(scores, [[0, 0], [0, tf.maximum(0, k - size)]], constant_values=-np.inf)
            best = tf.math.top_k(scores, k)
            return best.values, best.indices + start

        # One chunk at a time (parallel_iterations=1) keeps a single chunk's scores in memory.
        values, rows = tf.map_fn(chunk, starts, fn_output_signature=(tf.float32, tf.int32), parallel_iterations=1)
        values = tf.reshape(tf.transpose(values, [1, 0, 2]), [tf.shape(queries)[0], -1])
        rows = tf.reshape(tf.transpose(rows, [1, 0, 2]), [tf.shape(queries)[0], -1])
        best = tf.math.top_k(values, k)
        return best.values, tf.gather(rows, best.indices, batch_dims=1)
