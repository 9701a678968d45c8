"""Search indexes: an embedding export and a corpus served as one SavedModel that returns the best matches.

`tfft.retrieval.build.build_index` embeds the corpus with the export and
writes a new version whose ``serving_default`` takes ``query`` and returns the
top-k ``ids``, ``scores`` and payload columns, all computed in the graph.
"""
