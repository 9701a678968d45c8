"""Search indexes: exact in-graph top-k, storage formats, chunking, versions, corpus errors, evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import sentiment_rows, write_csv
from test_export import pure_tf_outputs
from tfft.backbones import load_backbone
from tfft.cli import main
from tfft.config import DataConfig, ModelConfig
from tfft.data.errors import DataError
from tfft.evaluation.retrieval_metrics import retrieval_metrics
from tfft.export.loaded import LoadedExport
from tfft.export.saved_model import export_saved_model
from tfft.retrieval.bm25 import Bm25Scorer, corpus_terms, terms
from tfft.retrieval.build import build_index, load_embedder
from tfft.retrieval.corpus import read_corpus
from tfft.retrieval.corpus_matrix import CorpusMatrix
from tfft.retrieval.queries import evaluate_index, read_queries
from tfft.tasks.embedding.task import EmbeddingTask

QUERIES = ["the room was lovely", "awful service at the desk", "a phone"]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory) -> Path:
    """An untrained tiny embedding export: random, but a real `text` → `embedding` SavedModel."""
    keras.utils.set_random_seed(0)
    loaded = load_backbone("scratch:tiny", 32)
    task = EmbeddingTask({}, DataConfig(text_pair_column="answer"))
    encoder = task.make_encoder(loaded.tokenizer, 32)
    model = task.build_model(loaded.backbone, ModelConfig(), encoder)
    return export_saved_model(model, encoder, task, tmp_path_factory.mktemp("saved") / "tiny-embedder")


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    texts = sorted({text for text, _ in sentiment_rows(60, 3)})
    rows = [(f"doc-{i}", text, f"answer {i}") for i, text in enumerate(texts)]
    return write_csv(tmp_path_factory.mktemp("corpus") / "corpus.csv", ["id", "text", "answer"], rows)


def exact_top_k(embedder: Path, texts: list[str], queries: list[str], k: int):
    """The reference: numpy dot products of the export's own embeddings, sorted."""
    exported = LoadedExport(embedder)
    documents = exported.predict({"text": texts})["embedding"]
    scores = exported.predict({"text": queries})["embedding"] @ documents.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def test_the_index_returns_the_exact_top_k_of_its_embedder_from_a_plain_tf_process(embedder, corpus_file, tmp_path):
    corpus = read_corpus(str(corpus_file), "text", "id", ["answer"])
    path = build_index(embedder, corpus, tmp_path / "index", top_k=5)
    served = pure_tf_outputs(path, {"query": QUERIES})
    assert served.pop("loaded") == []  # no keras, keras-hub or tfft: what stock TF Serving runs
    rows, scores = exact_top_k(embedder, corpus.texts, QUERIES, 5)
    assert served["ids"] == [[corpus.ids[i] for i in row] for row in rows]
    assert served["answer"] == [[corpus.payloads["answer"][i] for i in row] for row in rows]
    np.testing.assert_allclose(served["scores"], scores, atol=1e-5)
    metadata = json.loads((path / "assets.extra" / "tfft.json").read_text())
    assert metadata["task"] == "search_index" and metadata["rows"] == len(corpus) and metadata["top_k"] == 5


@pytest.mark.parametrize("storage, tolerance", [("float32", 1e-6), ("bfloat16", 2e-2), ("int8", 2e-2)])
def test_chunked_scoring_finds_the_same_best_rows_as_one_pass(storage, tolerance):
    generator = np.random.default_rng(0)
    vectors = generator.normal(size=(103, 16)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[[4, 50, 102]] + 0.01 * generator.normal(size=(3, 16)).astype("float32")
    exact = queries @ vectors.T
    one_pass = CorpusMatrix(vectors, storage).top_k(tf.constant(queries), 7)
    chunked = CorpusMatrix(vectors, storage, chunk_rows=10).top_k(tf.constant(queries), 7)  # last chunk: 3 rows
    for scores, rows in (one_pass, chunked):
        assert rows.numpy()[:, 0].tolist() == [4, 50, 102]
        np.testing.assert_allclose(scores.numpy(), np.take_along_axis(exact, rows.numpy(), 1), atol=tolerance)
        assert np.all(np.diff(scores.numpy(), axis=1) <= 0)
    np.testing.assert_array_equal(chunked[1].numpy(), one_pass[1].numpy())


def test_a_corpus_shorter_than_top_k_returns_every_row(embedder, tmp_path):
    corpus_file = write_csv(tmp_path / "two.csv", ["id", "text"], [("a", "one text"), ("b", "another text")])
    path = build_index(embedder, read_corpus(str(corpus_file), "text", "id"), tmp_path / "index", top_k=10)
    found = LoadedExport(path).predict({"query": ["text"]})
    assert found["ids"].shape == (1, 2) and sorted(found["ids"][0]) == [b"a", b"b"]


def test_a_changed_corpus_is_published_as_the_next_version_and_the_old_one_stays(embedder, tmp_path):
    first = write_csv(tmp_path / "v1.csv", ["id", "text"], [("a", "the hotel was superb"), ("b", "a phone")])
    second = write_csv(tmp_path / "v2.csv", ["id", "text"],
                       [("a", "the hotel was superb"), ("c", "the meal was dreadful")])
    root = tmp_path / "index"
    v1 = build_index(embedder, read_corpus(str(first), "text", "id"), root)
    v2 = build_index(embedder, read_corpus(str(second), "text", "id"), root)
    assert (v1.name, v2.name) == ("1", "2")
    assert set(LoadedExport(v1).predict({"query": ["x"]})["ids"][0]) == {b"a", b"b"}
    assert set(LoadedExport(v2).predict({"query": ["x"]})["ids"][0]) == {b"a", b"c"}


@pytest.mark.parametrize("header, rows, payloads, message", [
    (["id", "text"], [("a", "one"), ("a", "two")], [], "line 3, column 'id': id 'a' already used on line 2"),
    (["id", "text"], [("a", "one"), ("b", " ")], [], "line 3, column 'text': value is empty"),
    (["id", "text"], [("a", "one")], ["answer"], "column 'answer': column not found"),
    (["id", "text", "scores"], [("a", "one", "x")], ["scores"], "column 'scores': a payload column cannot be named"),
])
def test_bad_corpus_rows_name_the_file_line_and_column(tmp_path, header, rows, payloads, message):
    path = write_csv(tmp_path / "corpus.csv", header, rows)
    with pytest.raises(DataError, match=message):
        read_corpus(str(path), "text", "id", payloads)


def test_an_export_that_does_not_embed_is_refused(trained_tiny):
    with pytest.raises(ValueError, match="is not an embedding export"):
        load_embedder(trained_tiny["result"].export_path)


def test_evaluate_scores_the_index_rankings_and_names_unknown_ids(embedder, corpus_file, tmp_path, capsys):
    corpus = read_corpus(str(corpus_file), "text", "id")
    path = build_index(embedder, corpus, tmp_path / "index", storage="int8")
    rows, _ = exact_top_k(embedder, corpus.texts, QUERIES, 10)
    relevant = [{corpus.ids[rows[0][0]]}, {corpus.ids[rows[1][3]], corpus.ids[0]}, {corpus.ids[1]}]
    queries_file = write_csv(tmp_path / "queries.csv", ["query", "relevant"],
                             [(query, "|".join(sorted(ids))) for query, ids in zip(QUERIES, relevant)])
    metrics = evaluate_index(path, read_queries(str(queries_file), "query", "relevant"))
    ranked = [[corpus.ids[i] for i in row] for row in rows]
    for name, value in retrieval_metrics(ranked, relevant).items():
        assert metrics[name] == pytest.approx(value, abs=1e-6), name
    assert metrics["recall@1"] >= 1 / 3  # the first query's relevant id is its nearest document

    assert main(["evaluate", "--export", str(path.parent), "--data", str(queries_file)]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["mrr@10"] == pytest.approx(metrics["mrr@10"])
    stale = write_csv(tmp_path / "stale.csv", ["query", "relevant"], [("a phone", "doc-0"), ("x", "gone")])
    assert main(["evaluate", "--export", str(path), "--data", str(stale)]) == 2
    assert "stale.csv, line 3, column 'relevant': id 'gone' is not in" in capsys.readouterr().err


def test_tfft_index_writes_a_servable_version_beside_the_embedder(embedder, corpus_file, capsys):
    assert main(["index", str(embedder.parent), "--corpus", str(corpus_file), "--payload-column", "answer",
                 "--storage", "bfloat16", "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    index_root = embedder.parent.parent / "tiny-embedder-index"
    assert f"SavedModel:   {index_root / '1'}" in out and "(bfloat16), top 3 per query" in out
    assert main(["predict", str(index_root), "a phone"]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(row["ids"]) == len(row["answer"]) == len(row["scores"]) == 3
    assert main(["index", str(embedder), "--corpus", str(corpus_file), "--id-column", "key"]) == 2
    assert "column 'key': column not found in header" in capsys.readouterr().err


def test_terms_are_lowercased_letter_and_digit_runs_with_each_chinese_character_alone():
    found = terms(tf.constant(["Hello, World! x2 — don't", "退货要多久？Return"])).to_list()
    assert [[term.decode() for term in row] for row in found] == [
        ["hello", "world", "x2", "don", "t"], ["退", "货", "要", "多", "久", "return"]]


def test_in_graph_bm25_scores_are_bm25s_lucene_scores():
    import bm25s

    texts = [text for text, _ in sentiment_rows(30, 5)]
    scorer = Bm25Scorer(texts)
    documents = corpus_terms(texts)
    reference = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    reference.index(documents, show_progress=False)
    queries = ["the hotel was superb and the staff", "dreadful meal", "phone battery phone"]
    whole = scorer.lexical(tf.constant(queries)).numpy()
    for row, query in enumerate(queries):
        known = [term for term in terms(tf.constant([query])).to_list()[0] if scorer.table.lookup(tf.constant(term)) >= 0]
        expected = reference.get_scores([term.decode() for term in known])
        np.testing.assert_allclose(whole[row], expected, rtol=1e-5, atol=1e-6)
    assert whole.max() > 0


def test_a_hybrid_index_with_dense_weight_zero_ranks_by_bm25_from_a_plain_tf_process(embedder, corpus_file,
                                                                                     tmp_path):
    corpus = read_corpus(str(corpus_file), "text", "id")
    path = build_index(embedder, corpus, tmp_path / "index", top_k=4, chunk_rows=7, hybrid=True, dense_weight=0.0)
    served = pure_tf_outputs(path, {"query": QUERIES})
    assert served.pop("loaded") == []
    scorer = Bm25Scorer(corpus.texts)
    lexical = scorer.normalised(tf.constant(QUERIES)).numpy()
    for row, ids in enumerate(served["ids"]):
        np.testing.assert_allclose(served["scores"][row], np.sort(lexical[row])[::-1][:4], atol=1e-6)
        assert lexical[row][corpus.ids.index(ids[0])] == pytest.approx(lexical[row].max())


def test_validation_queries_choose_the_hybrid_weight(embedder, corpus_file, tmp_path):
    corpus = read_corpus(str(corpus_file), "text", "id")
    # "the book was awful" is asked as "book awful": BM25 finds it, the untrained embedder hardly.
    rows = [(" ".join(corpus.texts[i].split()[1::2]), corpus.ids[i]) for i in range(0, len(corpus), 3)]
    validation = read_queries(str(write_csv(tmp_path / "dev.csv", ["query", "relevant"], rows)), "query", "relevant")
    path = build_index(embedder, corpus, tmp_path / "index", hybrid=True, validation=validation)
    hybrid = json.loads((path / "assets.extra" / "tfft.json").read_text())["hybrid"]
    mrr = {float(w): v for w, v in hybrid["chosen_on"]["mrr@10_by_dense_weight"].items()}
    assert hybrid["dense_weight"] == max(mrr, key=lambda w: (mrr[w], w)) and hybrid["dense_weight"] < 1.0
    assert mrr[0.0] > mrr[1.0]
    assert evaluate_index(path, validation)["mrr@10"] == pytest.approx(mrr[hybrid["dense_weight"]], abs=1e-4)
