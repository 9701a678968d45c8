"""NER end to end on a tiny random backbone: train, report, export, serve from raw text."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import ner_sentences, tensorboard_tags, tiny_overrides, write_conll
from tfft.config import DataConfig, load_config
from tfft.data.errors import DataError
from tfft.data.pipeline import IGNORE_TARGET
from tfft.tasks.token_classification.span_examples import Span
from tfft.commands.evaluate import evaluate_export, evaluate_run
from tfft.export.loaded import LoadedExport
from tfft.tasks import make_task
from tfft.training.trained_model import load_trained_model
from test_export import pure_tf_outputs

LONG = " ".join(["Yesterday Ada Lovelace flew to Rio de Janeiro ."] * 6)  # > one 14-token window
TEXTS = ["Acme Corp hired Angela Merkel in Paris", "yesterday Li Wei flew to São Paulo", "nothing here", LONG]


def ner_files(root: Path) -> dict[str, Path]:
    return {"train": write_conll(root / "data" / "train.txt", ner_sentences(240, 1)),
            "test": write_conll(root / "data" / "test.txt", ner_sentences(30, 2))}


@pytest.fixture(scope="module")
def trained_ner(tmp_path_factory):
    from tfft.commands.train import train_and_export

    root = tmp_path_factory.mktemp("ner")
    files = ner_files(root)
    overrides = tiny_overrides(root, files, name="ner", task="ner", **{
        "model.max_length": 16, "training.epochs": 4, "training.early_stopping_patience": 2,
    })
    overrides = [o for o in overrides if not o.startswith("task_options.pooling")]
    return train_and_export(load_config(None, overrides), verbose=0)


def test_training_reaches_high_entity_f1_and_reports_per_type(trained_ner):
    metrics = json.loads((trained_ner.run_dir / "metrics.json").read_text())
    after, before = metrics["validation"]["after"], metrics["validation"]["before"]
    assert after["f1"] >= 0.9 and after["f1"] > before["f1"]
    assert set(after["per_type"]) == {"LOC", "ORG", "PER"}
    assert metrics["test"]["f1"] >= 0.9
    assert "LOC" in (trained_ner.run_dir / "validation_report.txt").read_text()


def test_entity_f1_is_in_tensorboard(trained_ner):
    tags = tensorboard_tags(trained_ner.run_dir / "logs" / "validation")
    assert {"epoch_f1", "epoch_PER_f1", "epoch_token_accuracy"} <= tags


def test_labels_go_on_first_pieces_only(trained_ner):
    trained = load_trained_model(trained_ner.run_dir)
    task, encoder = trained.task, trained.encoder
    examples = task.read(str(ner_files(trained_ner.run_dir.parent / "x")["test"]))
    split = task.encode(encoder, examples.subset([0]))
    ids = split.token_ids[0].numpy()
    labels = split.targets[0].numpy()
    pieces = [encoder.offsets.vocabulary[i] for i in ids]
    assert labels[0] == labels[-1] == IGNORE_TARGET  # [CLS] ... [SEP]
    for piece, label in zip(pieces[1:-1], labels[1:-1]):
        assert (label == IGNORE_TARGET) == piece.startswith("##")
    first_entity = examples.spans[0][0]
    begin = task.tags.names.index(f"B-{first_entity.label}")
    assert begin in labels.tolist()


def test_export_serves_entities_with_character_offsets_like_the_run(trained_ner):
    served = pure_tf_outputs(trained_ner.export_path, TEXTS)
    assert served["loaded"] == []
    task = load_trained_model(trained_ner.run_dir).task
    exported = task.predictions_from_outputs({k: np.asarray(v) for k, v in served.items() if k != "loaded"})
    in_process = run_predictions(trained_ner.run_dir, TEXTS)
    assert exported == in_process
    for row, text in enumerate(TEXTS):
        for i in range(served["num_entities"][row]):
            start, end = served["entity_starts"][row][i], served["entity_ends"][row][i]
            assert text[start:end] == served["entity_texts"][row][i]
    assert ("PER", "Angela Merkel") in found(served, 0)
    # The long text spans several windows; its last entity is found all the same.
    assert found(served, 3)[-1] == ("LOC", "Rio de Janeiro")
    assert served["num_entities"][3] == 12


def run_predictions(run_dir, texts):
    from tfft.tasks.token_classification.span_examples import SpanExamples, split_words

    trained = load_trained_model(run_dir)
    examples = SpanExamples("texts", texts, None, [split_words(t) for t in texts], [None] * len(texts))
    split = trained.task.encode(trained.encoder, examples)
    return trained.task.predict(trained.model, trained.encoder, split)


def found(served, row):
    return [(served["entity_types"][row][i], served["entity_texts"][row][i])
            for i in range(served["num_entities"][row])]


def test_evaluating_the_export_matches_the_run(trained_ner, tmp_path):
    test_file = str(ner_files(tmp_path)["test"])
    from_run = evaluate_run(trained_ner.run_dir, test_file).metrics
    from_export = evaluate_export(trained_ner.export_path.parent, test_file).metrics
    assert from_export == from_run
    assert LoadedExport(trained_ner.export_path).metadata["task"] == "token_classification"


def test_entity_type_unseen_in_training_is_named(trained_ner, tmp_path):
    trained = load_trained_model(trained_ner.run_dir)
    path = tmp_path / "odd.txt"
    path.write_text("Acme NNP B-NP B-ORG\nmet NNP B-NP O\n\nBob NNP B-NP B-ANIMAL\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"odd.txt, line 4, column 'label': entity type 'ANIMAL' never appears"):
        trained.task.encode(trained.encoder, trained.task.read(str(path)))


def test_unknown_options_are_rejected():
    with pytest.raises(ValueError, match="unknown option"):
        make_task("ner", {"pooling": "mean"}, DataConfig())
    with pytest.raises(ValueError, match="tag_scheme"):
        make_task("ner", {"tag_scheme": "XYZ"}, DataConfig())


def test_spans_from_jsonl_train_the_same_way(tmp_path):
    task = make_task("ner", {}, DataConfig(label_column="entities"))
    rows = [{"text": "Visit Paris now", "entities": [[6, 11, "LOC"]]}]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    examples = task.read(str(path))
    task.fit(examples)
    assert task.tags.names == ["O", "B-LOC", "I-LOC"] and examples.spans[0] == [Span(6, 11, "LOC")]


def test_tfft_explain_attributes_each_entity_it_finds(trained_ner, tmp_path, capsys):
    from tfft.cli import main
    from tfft.explain.explainer import TextExplainer

    explainer = TextExplainer.load(trained_ner.run_dir)
    served = LoadedExport(trained_ner.export_path).predict({"text": TEXTS})
    inside = 0
    for row, text in enumerate(TEXTS):
        record = explainer.explain(text, steps=32)
        assert record["entities_found"] == served["num_entities"][row]
        explained = [(e["type"], e["text"], e["start"], e["end"]) for e in record["entities"]]
        first = [(served["entity_types"][row][i].decode(), served["entity_texts"][row][i].decode(),
                  served["entity_starts"][row][i], served["entity_ends"][row][i])
                 for i in range(served["num_entities"][row])][:len(explained)]
        assert explained == first  # in order; the long text's entities past the first window are left out
        for entity, score in zip(record["entities"], served["entity_scores"][row]):
            assert entity["probability"] == pytest.approx(float(score), abs=1e-5)
            if text != LONG:  # one window: its score is the served one (windows overlap in the long text)
                assert entity["score"] == pytest.approx(entity["probability"], abs=1e-5)
            assert entity["completeness_error"] < 0.05
            assert [w["word"] for w in entity["words"]] == [text[w["start"]:w["end"]] for w in entity["words"]]
            top = max(entity["words"], key=lambda w: w["attribution"])
            inside += entity["start"] <= top["start"] < entity["end"]
    assert inside >= 4  # mostly, an entity's own words carry it
    assert 0 < len(TextExplainer.load(trained_ner.run_dir).explain(LONG, steps=4)["entities"]) < 12
    out = tmp_path / "ner.jsonl"
    assert main(["explain", str(trained_ner.export_path), TEXTS[0], TEXTS[2], "--output", str(out), "--html",
                 str(tmp_path / "ner.html"), "--steps", "8"]) == 0
    printed = capsys.readouterr().out
    assert "PER 'Angela Merkel'" in printed and "ORG 'Acme Corp'" in printed
    assert [len(json.loads(line)["entities"]) for line in out.read_text().splitlines()] == \
        [served["num_entities"][0], served["num_entities"][2]]
    assert main(["explain", str(trained_ner.run_dir), TEXTS[0], "--label", "PER"]) == 2
    assert "NER explains every entity it finds" in capsys.readouterr().err
