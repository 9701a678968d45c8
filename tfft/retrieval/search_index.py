"""The servable search index: query strings → top-k ids, scores and payloads, in one graph.

The embedding export is loaded and tracked inside the index, so the saved
index holds its tokenizer, weights and graph, and runs in stock TF Serving
(core TF and tensorflow-text ops only).

Example:

>>> index = SearchIndex(tf.saved_model.load("saved_models/faq-embedder/1"), CorpusMatrix(vectors),
...                     ids=["a", "b"], payloads={"answer": ["...", "..."]}, top_k=1)
>>> index.search(tf.constant(["how do I reset my password"]))["ids"]
<tf.Tensor: shape=(1, 1), dtype=string, numpy=array([[b'a']], dtype=object)>
"""

from __future__ import annotations

import tensorflow as tf

from tfft.retrieval.corpus_matrix import CorpusMatrix

QUERY = "query"


def indexed_ids(index: tf.Module) -> set[str]:
    """The document ids a saved search index holds (a loaded `SearchIndex`)."""
    return {doc.decode("utf-8") for doc in index.ids.numpy()}


class SearchIndex(tf.Module):
    """An embedder, the corpus matrix, and the id and payload of every row."""

    def __init__(self, embedder, matrix: CorpusMatrix, ids: list[str], payloads: dict[str, list[str]],
                 top_k: int = 10, rescore=None):
        super().__init__(name="search_index")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self.embedder = embedder
        self.matrix = matrix
        self.ids = tf.Variable(ids, dtype=tf.string, trainable=False, name="ids")
        self.payloads = {name: tf.Variable(values, dtype=tf.string, trainable=False, name=name)
                         for name, values in payloads.items()}
        self.top_k = min(int(top_k), matrix.rows)
        self.rescore = rescore  # a tf.Module or None; tracked so its tables are saved

    def embed(self, query: tf.Tensor) -> tf.Tensor:
        return self.embedder.signatures["serving_default"](text=query)["embedding"]

    def search(self, query: tf.Tensor) -> dict[str, tf.Tensor]:
        rescore = self.rescore.for_queries(query) if self.rescore is not None else None
        scores, rows = self.matrix.top_k(self.embed(query), self.top_k, rescore)
        found = {"ids": tf.gather(self.ids, rows), "scores": scores}
        return {**found, **{name: tf.gather(values, rows) for name, values in self.payloads.items()}}

    def serving_function(self):
        return tf.function(self.search, input_signature=[tf.TensorSpec([None], tf.string, name=QUERY)])
