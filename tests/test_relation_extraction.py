"""Relation extraction: SemEval reader, marker tokens, official score, train → export → serve."""

import json
import random

import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_overrides
from tfft.backbones import load_backbone
from tfft.config import DataConfig, load_config
from tfft.data.errors import DataError
from tfft.export.loaded import LoadedExport
from tfft.tasks.relation_extraction.semeval import read_semeval
from tfft.tasks.relation_extraction.semeval_score import semeval_macro_f1, semeval_per_type
from tfft.tasks import make_task
from tfft.tasks.relation_extraction.entity_markers import EntityMarkerEncoder
from tfft.training.trained_model import load_trained_model
from test_export import pure_tf_outputs

PAIRS = [("wine", "bottle", "Content-Container"), ("virus", "fever", "Cause-Effect"),
         ("wheel", "car", "Component-Whole")]


def semeval_block(number: int, sentence: str, relation: str) -> str:
    return f'{number}\t"{sentence}"\n{relation}\nComment: made up\n\n'


def semeval_rows(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        first, second, relation = rng.choice(PAIRS)
        if rng.random() < 0.5:
            rows.append((f"the <e1>{first}</e1> and the <e2>{second}</e2>", f"{relation}(e1,e2)"))
        else:
            rows.append((f"the <e1>{second}</e1> and the <e2>{first}</e2>", f"{relation}(e2,e1)"))
    return rows


def write_semeval(path, rows):
    path.write_text("".join(semeval_block(i + 1, s, r) for i, (s, r) in enumerate(rows)), encoding="utf-8")
    return path


def test_reader_keeps_markers_labels_and_lines(tmp_path):
    path = write_semeval(tmp_path / "TRAIN_FILE.TXT", [("a <e1>b</e1> c <e2>d</e2>", "Other"),
                                                       ('say "<e1>x</e1>" <e2>y</e2>', "Cause-Effect(e2,e1)")])
    examples = read_semeval(str(path))
    assert examples.texts == ["a <e1>b</e1> c <e2>d</e2>", 'say "<e1>x</e1>" <e2>y</e2>']
    assert examples.labels == ["Other", "Cause-Effect(e2,e1)"] and examples.lines == [1, 5]


@pytest.mark.parametrize("sentence, relation, line, column, reason", [
    ("a <e1>b c <e2>d</e2>", "Other", 5, "sentence", "</e1> 0 times"),
    ("a </e1>b<e1> c <e2>d</e2>", "Other", 5, "sentence", "closing marker comes before"),
    ("<e1>a <e2>b</e1> c</e2>", "Other", 5, "sentence", "overlap"),
    ("a <e1>b</e1> c <e2>d</e2>", "Cause-Effect", 6, "relation", "expected a relation like"),
])
def test_bad_examples_are_named(tmp_path, sentence, relation, line, column, reason):
    path = tmp_path / "bad.txt"
    path.write_text(semeval_block(1, "a <e1>b</e1> c <e2>d</e2>", "Other") + semeval_block(2, sentence, relation))
    with pytest.raises(DataError) as error:
        read_semeval(str(path))
    assert f"bad.txt, line {line}, column '{column}'" in str(error.value) and reason in str(error.value)
    kept = read_semeval(str(path), skip_bad_rows=True)
    assert len(kept) == 1 and kept.skipped.skipped[0].line == line


def test_marked_csv_rows_are_checked_too(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\n\"<e1>a</e1> <e2>b</e2>\",Other\n\"<e1>a</e1> b\",Other\n", encoding="utf-8")
    task = make_task("relation_extraction", {}, DataConfig())
    with pytest.raises(DataError, match=r"r.csv, line 3, column 'text': each entity marker must appear once"):
        task.read(str(path))


def test_markers_are_single_reserved_tokens():
    tokenizer = load_backbone("scratch:tiny").tokenizer
    encoder = EntityMarkerEncoder(tokenizer, 32)
    token_ids, _ = encoder.encode(tf.constant(["The <e1>wine</e1> in a <e2>bottle</e2>."]))
    vocabulary = tokenizer.get_vocabulary()
    pieces = [vocabulary[i] for i in token_ids[0].numpy()]
    markers = [vocabulary[i] for i in encoder.marker_ids]
    assert pieces == ["[CLS]", "the", markers[0], "wine", markers[1], "in", "a", markers[2], "bottle",
                      markers[3], ".", "[SEP]"]
    assert all(m.startswith("[unused") for m in markers)


def test_official_score_counts_direction_and_excludes_other():
    gold = ["Cause-Effect(e1,e2)", "Cause-Effect(e2,e1)", "Other", "Message-Topic(e1,e2)"]
    predicted = ["Cause-Effect(e1,e2)", "Cause-Effect(e1,e2)", "Message-Topic(e1,e2)", "Message-Topic(e1,e2)"]
    table = semeval_per_type(gold, predicted)
    assert set(table) == {"Cause-Effect", "Message-Topic"}  # Other is no class of its own
    assert table["Cause-Effect"]["precision"] == 0.5 and table["Cause-Effect"]["recall"] == 0.5
    assert table["Message-Topic"]["precision"] == 0.5 and table["Message-Topic"]["recall"] == 1.0
    assert semeval_macro_f1(gold, predicted) == pytest.approx((0.5 + 2 / 3) / 2)


@pytest.fixture(scope="module")
def trained_re(tmp_path_factory):
    from tfft.commands.train import train_and_export

    root = tmp_path_factory.mktemp("re")
    files = {"train": write_semeval(root / "TRAIN_FILE.TXT", semeval_rows(300, 1)),
             "test": write_semeval(root / "TEST_FILE.TXT", semeval_rows(40, 2))}
    overrides = [o for o in tiny_overrides(root, files, name="re", task="relation_extraction", **{
        "training.epochs": 8, "data.validation_fraction": 0.2}) if not o.startswith("task_options")]
    return train_and_export(load_config(None, overrides), verbose=0)


def test_training_learns_relations_and_direction(trained_re):
    metrics = json.loads((trained_re.run_dir / "metrics.json").read_text())
    after, before = metrics["validation"]["after"], metrics["validation"]["before"]
    assert after["semeval_macro_f1"] >= 0.8 > before["semeval_macro_f1"]
    assert set(after["semeval_per_relation"]) == {"Cause-Effect", "Component-Whole", "Content-Container"}
    assert "official score" in (trained_re.run_dir / "validation_report.txt").read_text()


def test_export_serves_relations_like_the_run(trained_re):
    texts = [row[0] for row in semeval_rows(6, 3)]
    served = pure_tf_outputs(trained_re.export_path, texts)
    assert served["loaded"] == []
    trained = load_trained_model(trained_re.run_dir)
    token_ids, segment_ids = trained.encoder.encode(tf.constant(texts))
    logits = trained.model(trained.encoder.model_inputs(token_ids, segment_ids), training=False)
    expected = tf.nn.softmax(logits).numpy()
    assert np.abs(np.asarray(served["probabilities"]) - expected).max() <= 1e-5
    names = trained.task.vocabulary.names
    assert served["relation"] == [names[i] for i in expected.argmax(-1)]


def test_tfft_explain_attributes_the_relation_to_the_words_not_the_markers(trained_re, capsys):
    from tfft.cli import main
    from tfft.explain.explainer import TextExplainer

    text = "The <e1>wine</e1> was poured into a <e2>bottle</e2> ."
    explainer = TextExplainer.load(trained_re.run_dir)
    record = explainer.explain(text, steps=32)
    served = LoadedExport(trained_re.export_path).predict({"text": [text]})
    assert record["label"] == served["relation"][0].decode()
    assert record["probability"] == pytest.approx(float(served["probabilities"][0].max()), abs=1e-5)
    assert record["completeness_error"] < 0.05
    words = record["words"]
    assert [w["word"] for w in words] == ["The", "<e1>", "wine", "</e1>", "was", "poured", "into", "a", "<e2>",
                                          "bottle", "</e2>", "."]
    assert all(text[w["start"]:w["end"]] == w["word"] for w in words)
    assert all(w["attribution"] == 0.0 for w in words if w["word"].startswith("<"))  # the baseline keeps markers
    other = next(name for name in explainer.trained.task.vocabulary.names if name != record["label"])
    assert explainer.explain(text, steps=8, label=other)["explained_label"] == other
    assert main(["explain", str(trained_re.run_dir), text, "--steps", "8"]) == 0
    assert "most for it: " in capsys.readouterr().out
