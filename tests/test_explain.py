"""tfft explain: integrated gradients (exact on a linear score), words and offsets, the command's files and errors."""

from __future__ import annotations

import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import NEGATIVE, POSITIVE, write_csv
from tfft.cli import main
from tfft.config import DataConfig
from tfft.explain.explainer import TextExplainer
from tfft.explain.integrated_gradients import baseline_ids, integrated_gradients
from tfft.export.loaded import LoadedExport
from tfft.tasks.embedding.task import EmbeddingTask

TEXTS = ["the movie was great", "the hotel was awful", "The Café was superb!", "the phone was terrible"]


def test_attributions_of_a_linear_score_are_exact_at_any_step_count():
    keras.utils.set_random_seed(0)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    embedding = keras.layers.Embedding(10, 4, name="token_embedding")
    dense = keras.layers.Dense(3, use_bias=False)
    model = keras.Model({"token_ids": ids}, dense(keras.ops.sum(embedding(ids), axis=1)))
    inputs = {"token_ids": tf.constant([[1, 5, 7, 2]])}
    table, kernel = embedding.embeddings.numpy(), dense.kernel.numpy()
    start = baseline_ids(inputs["token_ids"], 0, {1, 2}).numpy()[0]
    assert start.tolist() == [1, 0, 0, 2]
    expected = (table[[1, 5, 7, 2]] - table[start]) @ kernel[:, 2]
    for steps in (1, 7):
        explained = integrated_gradients(model, embedding, inputs, lambda out: out, steps, 0, {1, 2}, target=2)
        np.testing.assert_allclose(explained.attributions, expected, rtol=1e-5, atol=1e-6)
        assert explained.completeness_error < 1e-4
    assert integrated_gradients(model, embedding, inputs, lambda out: out, 3, 0, {1, 2}).target == \
        int(np.argmax(model(inputs).numpy()[0]))


@pytest.fixture(scope="module")
def explainer(trained_tiny):
    return TextExplainer.load(trained_tiny["result"].run_dir)


def test_explanations_add_up_name_the_label_word_and_slice_the_text(explainer, trained_tiny):
    served = LoadedExport(trained_tiny["result"].export_path).predict({"text": TEXTS})
    records = explainer.explain_all(TEXTS, steps=32)
    top_is_label_word = 0
    for i, record in enumerate(records):
        assert record["label"] == served["label"][i].decode()
        assert record["probability"] == pytest.approx(float(served["probabilities"][i].max()), abs=1e-5)
        assert record["completeness_holds"] and record["completeness_error"] < 0.05
        assert [w["word"] for w in record["words"]] == [record["text"][w["start"]:w["end"]] for w in record["words"]]
        assert sum(w["attribution"] for w in record["words"]) == pytest.approx(record["attribution_sum"], abs=1e-6)
        top = max(record["words"], key=lambda w: w["attribution"])["word"].lower()
        top_is_label_word += top in POSITIVE + NEGATIVE
    assert [w["word"] for w in records[2]["words"]] == ["The", "Café", "was", "superb", "!"]
    assert top_is_label_word >= 3
    other = explainer.explain(TEXTS[0], steps=32, label="negative" if records[0]["label"] == "positive" else "positive")
    assert other["score"] == pytest.approx(1 - records[0]["probability"], abs=1e-5)  # two labels: the other softmax
    masked = explainer.explain(TEXTS[0], steps=32, baseline="mask")
    assert masked["baseline_score"] != pytest.approx(records[0]["baseline_score"], abs=1e-7)


def test_tfft_explain_writes_new_files_and_names_bad_input(trained_tiny, tmp_path, capsys):
    export = str(trained_tiny["result"].export_path)
    out, page = tmp_path / "why.jsonl", tmp_path / "why.html"
    assert main(["explain", export, TEXTS[0], "the <b>hotel</b> was awful", "--output", str(out),
                 "--html", str(page), "--steps", "16"]) == 0
    assert "completeness within 5% on 2 of 2 explained scores (2 texts" in capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["text"] for r in records] == [TEXTS[0], "the <b>hotel</b> was awful"]
    html = page.read_text()
    assert "&lt;</span>" in html and "<b>hotel" not in html and f"<b>label {records[0]['label']} (" in html
    before = out.read_text()
    assert main(["explain", export, TEXTS[1], "--output", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text() == before
    texts = write_csv(tmp_path / "texts.csv", ["id", "text"], [("1", "the tea was great"), ("2", "")])
    assert main(["explain", export, "--file", str(texts)]) == 2
    assert re.search(r"texts\.csv.*line 3.*text", capsys.readouterr().err)
    assert main(["explain", export, TEXTS[0], "--label", "neutral"]) == 2
    assert "'neutral' is not a label of this model (negative, positive)" in capsys.readouterr().err
    assert main(["explain", str(tmp_path), TEXTS[0]]) == 2
    assert "neither a finished run folder nor an export" in capsys.readouterr().err
    picture = tmp_path / "why.png"
    assert main(["explain", export, TEXTS[0], TEXTS[1], "--png", str(picture)]) == 2
    assert "--png draws one text; 2 were given" in capsys.readouterr().err and not picture.exists()
    assert main(["explain", export, "a very long review " * 12, "--png", str(picture), "--steps", "4"]) == 0
    assert picture.read_bytes()[:4] == b"\x89PNG" and f"PNG: {picture}" in capsys.readouterr().out
    embedding = EmbeddingTask({}, DataConfig(text_pair_column="answer"))
    with pytest.raises(ValueError, match="does not support task 'embedding'"):
        embedding.explanation_setup(None, None, {"text": "a question"})
    with pytest.raises(ValueError, match="the explain signature covers classification of plain texts"):
        embedding.label_scores(tf.zeros([1, 4]))


def test_the_explain_signature_served_by_tf_alone_matches_tfft_explain(explainer, trained_tiny, tmp_path):
    from test_export import pure_tf_outputs

    from tfft.config import ExportConfig
    from tfft.explain.explain_signature import explain_signatures
    from tfft.export.from_run import export_run

    run_dir = trained_tiny["result"].run_dir
    config = ExportConfig(explain=True, explain_steps=16)
    export = export_run(run_dir, tmp_path / "explained", extra_signatures=explain_signatures(config))
    texts = TEXTS + ["x " * 40]  # the last is cut at max_length, as the model sees it
    served = pure_tf_outputs(export, {"text": texts}, "explain")
    assert served["loaded"] == []
    for i, text in enumerate(texts):
        record = explainer.explain(text, steps=16)
        count = served["token_count"][i]
        pieces = [{"token": served["tokens"][i][k], "start": served["token_starts"][i][k],
                   "end": served["token_ends"][i][k]} for k in range(count)]
        assert pieces == [{key: piece[key] for key in ("token", "start", "end")} for piece in record["pieces"]]
        np.testing.assert_allclose(served["attributions"][i][:count], [p["attribution"] for p in record["pieces"]],
                                   atol=1e-4)
        assert served["label"][i] == record["label"] and served["explained_label"][i] == record["label"]
        assert served["probability"][i] == pytest.approx(record["probability"], abs=1e-5)
        assert served["baseline_score"][i] == pytest.approx(record["baseline_score"], abs=1e-5)
    other = "negative" if served["label"][0] == "positive" else "positive"
    chosen = pure_tf_outputs(export, {"text": TEXTS[:1], "label": [other]}, "explain_label")
    assert chosen["explained_label"] == [other]
    np.testing.assert_allclose(chosen["attributions"][0][:chosen["token_count"][0]],
                               [p["attribution"] for p in explainer.explain(TEXTS[0], 16, label=other)["pieces"]],
                               atol=1e-4)
    assert LoadedExport(export).predict({"text": TEXTS})["label"].tolist() == \
        LoadedExport(trained_tiny["result"].export_path).predict({"text": TEXTS})["label"].tolist()
    with pytest.raises(ValueError, match="int8 quantization rewrites"):
        export_run(run_dir, tmp_path / "int8", quantization="int8", extra_signatures=explain_signatures(config))


def test_training_writes_each_epochs_explanations_to_tensorboard(sentiment_files, tmp_path):
    from conftest import tiny_config
    from tfft.commands.train import train_and_export

    config = tiny_config(tmp_path, sentiment_files, **{"training.epochs": 2, "training.explain_examples": 2,
                                                        "export.enabled": "false"})
    result = train_and_export(config, verbose=0)
    events = list((result.run_dir / "logs" / "explanations").glob("events.out.tfevents.*"))
    texts = [(event.step, value.tensor.string_val[0].decode()) for event in tf.compat.v1.train.summary_iterator(
        str(events[0])) for value in event.summary.value if value.tag == "explanations"]
    assert [step for step, _ in texts] == [1, 2]
    for _, markdown in texts:
        lines = markdown.splitlines()
        assert len(lines) == 2 and all(re.match(r"\d\. label (positive|negative) \(0\.\d{3}\): ", line)
                                       for line in lines)
        assert markdown.count("**") == 2 * 2 * 3  # each line: the three words that support the label most in bold
