"""The customer-service assistant: the hand-off rule, its metrics, and the one-graph export against the two parts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import sentiment_rows, write_csv
from test_export import pure_tf_outputs
from tfft.assistant.build import ASSISTANT_TASK, build_assistant, load_classifier, respond_in_process
from tfft.assistant.handoff_rule import Thresholds, choose_thresholds, hands_off
from tfft.assistant.labelled_messages import read_labelled_messages
from tfft.backbones import load_backbone
from tfft.cli import main
from tfft.config import DataConfig, ModelConfig
from tfft.data.labels import LabelVocabulary
from tfft.evaluation.handoff_metrics import handoff_metrics
from tfft.export.loaded import LoadedExport
from tfft.export.saved_model import export_saved_model
from tfft.retrieval.build import build_index
from tfft.retrieval.corpus import read_corpus
from tfft.tasks.classification.task import ClassificationTask
from tfft.tasks.embedding.task import EmbeddingTask

LABELS = ["billing", "delivery", "returns"]


def test_the_rule_catches_the_most_out_of_scope_messages_within_the_in_scope_budget():
    # Ten in-scope messages: nine sure ones and one unsure in both scores; three out of scope.
    probability = np.array([0.9] * 9 + [0.55] + [0.95, 0.95, 0.6])
    score = np.array([0.8] * 9 + [0.25] + [0.2, 0.3, 0.9])
    in_scope = np.array([True] * 10 + [False] * 3)
    thresholds = choose_thresholds(probability, score, in_scope, max_in_scope_handoff=0.1)
    # Only both thresholds together catch all three; each sits halfway to the next lower value seen.
    assert thresholds == Thresholds(intent=pytest.approx(0.75), answer=pytest.approx(0.55))
    assert hands_off(probability, score, thresholds).tolist() == [False] * 9 + [True] * 4
    strict = choose_thresholds(probability, score, in_scope, max_in_scope_handoff=0.0)
    assert not hands_off(probability, score, strict)[in_scope].any()
    assert hands_off(probability, score, strict)[~in_scope].tolist() == [True, False, False]  # score 0.2 < 0.25
    with pytest.raises(ValueError, match="out-of-scope"):
        choose_thresholds(probability[:10], score[:10], in_scope[:10])


def test_handoff_metrics_count_a_handed_off_in_scope_message_as_wrong():
    metrics = handoff_metrics(["a", "a", "b", "b", "oos", "oos"], ["a", "a", "a", "b", "b", "a"],
                              [False, True, False, False, True, False], "oos",
                              ["x", "x", "y", "", "", ""], ["x", "x", "y", "z", "y", "x"])
    assert metrics["in_scope_accuracy"] == 50.0  # a ok, a handed off, b→a wrong, b ok
    assert metrics["intent_accuracy_without_handoff"] == 75.0
    assert metrics["in_scope_handoff"] == 25.0
    assert metrics["out_of_scope_recall"] == 50.0 and metrics["out_of_scope_precision"] == 50.0
    assert metrics["answer_accuracy"] == pytest.approx(200 / 3, abs=0.01)  # of 3 with an id: 1 handed off, 2 right


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> dict[str, Path]:
    """An untrained tiny intent classifier and a tiny FAQ index: random, but real exports."""
    root = tmp_path_factory.mktemp("assistant")
    keras.utils.set_random_seed(0)
    loaded = load_backbone("scratch:tiny", 32)
    classification = ClassificationTask({}, DataConfig())
    classification.vocabulary = LabelVocabulary(LABELS)
    encoder = classification.make_encoder(loaded.tokenizer, 32)
    model = classification.build_model(loaded.backbone, ModelConfig(), encoder)
    classifier = export_saved_model(model, encoder, classification, root / "intents")
    embedding = EmbeddingTask({}, DataConfig(text_pair_column="answer"))
    model = embedding.build_model(load_backbone("scratch:tiny", 32).backbone, ModelConfig(), encoder)
    embedder = export_saved_model(model, encoder, embedding, root / "faq-embedder")
    texts = sorted({text for text, _ in sentiment_rows(40, 5)})
    faq = write_csv(root / "faq.csv", ["id", "question", "answer"],
                    [(f"faq-{i}", text, f"answer {i}") for i, text in enumerate(texts)])
    index = build_index(embedder, read_corpus(str(faq), "question", "id", ["answer"]), root / "faq-index", top_k=3)
    messages = [(text, LABELS[i % 3] if i % 4 else "out_of_scope", f"faq-{i % len(texts)}" if i % 4 else "")
                for i, (text, _) in enumerate(sentiment_rows(48, 9))]
    validation = write_csv(root / "validation.csv", ["text", "intent", "answer_id"], messages)
    return {"classifier": classifier, "index": index, "validation": validation, "root": root}


def test_the_assistant_answers_from_plain_tf_what_its_two_parts_answer_in_process(parts):
    messages = read_labelled_messages(str(parts["validation"]), "text", "intent", "answer_id")
    path = build_assistant(parts["classifier"], parts["index"], messages, parts["root"] / "customer-service",
                           max_in_scope_handoff=0.25)
    metadata = json.loads((path / "assets.extra" / "tfft.json").read_text())
    assert metadata["task"] == ASSISTANT_TASK and metadata["labels"] == LABELS
    served = pure_tf_outputs(path, {"text": messages.texts})
    assert served.pop("loaded") == []  # no keras, keras-hub or tfft: what stock TF Serving runs
    reference = respond_in_process(load_classifier(parts["classifier"])[0], LoadedExport(parts["index"]), "answer",
                                   messages.texts)
    thresholds = Thresholds(**metadata["thresholds"])
    assert served["intent"] == reference.intents and served["answer_id"] == reference.answer_ids
    assert served["answer"] == reference.answers
    assert served["handoff"] == reference.handoff(thresholds).tolist()
    np.testing.assert_allclose(served["intent_probability"], reference.probability, atol=1e-5)
    np.testing.assert_allclose(served["answer_score"], reference.scores, atol=1e-5)
    in_scope = np.asarray(messages.intents) != "out_of_scope"
    handed = np.asarray(served["handoff"])
    assert handed[in_scope].mean() <= 0.25 and handed[~in_scope].any()
    report = metadata["rule"]["validation"]
    assert report["out_of_scope_recall"] == round(100 * handed[~in_scope].mean(), 2)


def test_tfft_assistant_builds_versions_and_names_bad_validation_rows(parts, tmp_path, capsys):
    out = tmp_path / "customer-service"
    args = ["assistant", "--classifier", str(parts["classifier"]), "--index", str(parts["index"]),
            "--validation", str(parts["validation"]), "--answer-id-column", "answer_id", "--out", str(out)]
    assert main(args) == 0 and main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == ["1", "2"]
    assert "out-of-scope recall" in capsys.readouterr().out
    assert main(["predict", str(out), "where is my parcel"]) == 0
    assert '"handoff"' in capsys.readouterr().out
    scores = tmp_path / "scores.json"
    assert main(["evaluate", "--export", str(out), "--data", str(parts["validation"]), "--answer-id-column",
                 "answer_id", "--output", str(scores)]) == 0
    built = json.loads((out / "2" / "assets.extra" / "tfft.json").read_text())["rule"]["validation"]
    assert json.loads(scores.read_text()) == built  # the served hand-offs are the ones chosen on validation
    capsys.readouterr()
    bad = write_csv(tmp_path / "bad.csv", ["text", "intent"], [("hello", "billing"), ("refund me", "refunds")])
    assert main([*args[:5], "--validation", str(bad), "--out", str(out)]) == 2
    assert re.search(r"bad\.csv.*line 3.*intent.*'refunds'", capsys.readouterr().err)
    unknown = write_csv(tmp_path / "unknown.csv", ["text", "intent", "answer_id"], [("hello", "billing", "faq-x")])
    assert main([*args[:5], "--validation", str(unknown), "--answer-id-column", "answer_id", "--out", str(out)]) == 2
    assert re.search(r"unknown\.csv.*line 2.*answer_id.*'faq-x'", capsys.readouterr().err)
    assert main(["assistant", "--classifier", str(parts["classifier"]), "--index", str(parts["classifier"]),
                 "--validation", str(parts["validation"]), "--out", str(out)]) == 2
    assert "not a search index" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["1", "2"]  # nothing written by a refused run


def test_tfft_serve_and_deploy_take_the_assistant_like_any_export(parts, tmp_path, capsys):
    from tfft.serving.batching import BatchingOptions
    from tfft.serving.client import connect
    from tfft.serving.model_registry import config_for_paths
    from tfft.serving.model_server import ModelServer

    messages = read_labelled_messages(str(parts["validation"]), "text", "intent", "answer_id")
    root = tmp_path / "customer-service"
    path = build_assistant(parts["classifier"], parts["index"], messages, root, max_in_scope_handoff=0.25)
    texts = messages.texts[:6]
    expected = LoadedExport(path).predict({"text": texts})
    config = config_for_paths([root], keep_versions=1)
    with ModelServer(config, rest_port=0, grpc_port=0, batching=BatchingOptions(max_batch_size=4)) as server:
        for address in (f"http://127.0.0.1:{server.rest_port}", f"grpc://127.0.0.1:{server.grpc_port}"):
            got = connect(address, "customer-service", timeout=30).predict({"text": texts})
            assert [str(v) for v in got["intent"]] == [v.decode() for v in expected["intent"]]
            assert [str(v) for v in got["answer_id"]] == [v.decode() for v in expected["answer_id"]]
            assert [bool(v) for v in got["handoff"]] == expected["handoff"].tolist()
            np.testing.assert_allclose(got["answer_score"].astype(float), expected["answer_score"], atol=1e-5)
    assert main(["deploy", str(root), "--out", str(tmp_path / "bundle")]) == 0
    assert "customer-service" in (tmp_path / "bundle" / "config" / "models.config").read_text()
