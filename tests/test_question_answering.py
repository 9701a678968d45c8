"""Extractive QA: SQuAD reader, official metric, windows and targets, train → export → serve."""

import json
import random

import numpy as np
import pytest

from conftest import tiny_overrides
from tfft.config import DataConfig, load_config
from tfft.data.errors import DataError
from tfft.export.loaded import LoadedExport
from tfft.tasks.question_answering.squad import read_squad
from tfft.tasks.question_answering.squad_metrics import normalize_answer, squad_scores
from tfft.tasks import make_task
from tfft.training.trained_model import load_trained_model
from test_export import pure_tf_outputs

CODES = ["river", "stone", "cloud", "maple", "harbor", "violet", "copper", "meadow", "falcon", "lantern"]
FILLER = ["the weather was mild", "people walked in the park", "a train left the station",
          "birds sang all morning"]
QUESTION = "What is the secret code?"


def coded_context(rng: random.Random, code: str, filler_sentences: int, at_end: bool = False) -> str:
    sentences = [rng.choice(FILLER) for _ in range(filler_sentences)]
    sentences.insert(len(sentences) if at_end else rng.randint(0, len(sentences)), f"the secret code is {code}")
    return ". ".join(s.capitalize() for s in sentences) + "."


def squad_file(path, articles: int, seed: int):
    rng = random.Random(seed)
    data = []
    for a in range(articles):
        paragraphs = []
        for p in range(25):
            code = rng.choice(CODES)
            context = coded_context(rng, code, rng.randint(1, 3))
            start = context.index(f"code is {code}") + len("code is ")
            paragraphs.append({"context": context, "qas": [{
                "id": f"a{a}p{p}", "question": QUESTION, "answers": [{"text": code, "answer_start": start}]}]})
        data.append({"title": f"Article {a}", "paragraphs": paragraphs})
    path.write_text(json.dumps({"data": data, "version": "1.1"}, indent=1), encoding="utf-8")
    return path


def test_reader_and_bad_answers_named_by_line_and_id(tmp_path):
    path = squad_file(tmp_path / "train.json", 2, 0)
    examples = read_squad(str(path))
    assert len(examples) == 50 and examples.titles[-1] == "Article 1"
    text = path.read_text().splitlines()
    assert '"a0p0"' in text[examples.lines[0] - 1]
    broken = json.loads(path.read_text())
    broken["data"][1]["paragraphs"][3]["qas"][0]["answers"][0]["answer_start"] += 2
    path.write_text(json.dumps(broken, indent=1))
    with pytest.raises(DataError) as error:
        read_squad(str(path))
    line = next(i + 1 for i, l in enumerate(path.read_text().splitlines()) if '"a1p3"' in l)
    assert f"train.json, line {line}, column 'answers': question a1p3: answer" in str(error.value)
    kept = read_squad(str(path), skip_bad_rows=True)
    assert len(kept) == 49 and kept.skipped.skipped[0].line == line


def test_unanswerable_questions_of_squad_v2(tmp_path):
    path = tmp_path / "v2.json"
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "Ada wrote code.", "qas": [
        {"id": "q1", "question": "Who flew?", "answers": [], "is_impossible": True},
        {"id": "q2", "question": "Who wrote?", "answers": [{"text": "Ada", "answer_start": 0}]}]}]}]}))
    examples = read_squad(str(path))
    assert examples.has_unanswerable and examples.answers[0] == []
    assert squad_scores(["", "ada"], [[], ["Ada"]]) == {"exact_match": 100.0, "f1": 100.0}


def test_official_normalisation_and_scores():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert squad_scores(["an Eiffel Tower"], [["the Eiffel Tower", "Paris"]])["exact_match"] == 100.0
    scores = squad_scores(["Eiffel", "Rome"], [["Eiffel Tower"], ["Paris"]])
    assert scores["exact_match"] == 0.0 and scores["f1"] == pytest.approx(100 * (2 / 3) / 2)


def test_hold_out_last_articles_or_whole_random_articles(tmp_path):
    examples = read_squad(str(squad_file(tmp_path / "t.json", 5, 0)))
    task = make_task("question_answering", {"validation_articles": 2}, DataConfig())
    train, validation = task.hold_out(examples, 0.2, 42)
    assert set(validation.titles) == {"Article 3", "Article 4"} and "Article 3" not in train.titles
    plain = make_task("question_answering", {}, DataConfig())
    train, validation = plain.hold_out(examples, 0.4, 42)
    assert not set(train.titles) & set(validation.titles) and len(set(validation.titles)) == 2


@pytest.fixture(scope="module")
def trained_qa(tmp_path_factory):
    from tfft.commands.train import train_and_export

    root = tmp_path_factory.mktemp("qa")
    files = {"train": squad_file(root / "train.json", 10, 1), "test": squad_file(root / "test.json", 2, 2)}
    overrides = [o for o in tiny_overrides(root, files, name="qa", task="question_answering", **{
        "model.max_length": 48, "training.epochs": 3, "task_options.validation_articles": 2,
    }) if not o.startswith("task_options.pooling")]
    return train_and_export(load_config(None, overrides), verbose=0)


def test_training_answers_held_out_articles(trained_qa):
    metrics = json.loads((trained_qa.run_dir / "metrics.json").read_text())
    assert metrics["validation"]["after"]["f1"] >= 90.0 > metrics["validation"]["before"]["f1"]
    assert metrics["validation"]["after"]["examples"] == 50  # the last two articles
    assert metrics["test"]["exact_match"] >= 90.0


def test_targets_point_at_the_answer_or_cls(trained_qa):
    trained = load_trained_model(trained_qa.run_dir)
    task, encoder = trained.task, trained.encoder
    rng = random.Random(5)
    context = coded_context(rng, "falcon", 12, at_end=True)
    examples = _examples([QUESTION], [context], answers=[[("falcon", context.index("falcon"))]])
    split = task.encode(encoder, examples)
    assert split.token_ids.nrows() > 1  # several windows
    vocabulary = encoder.offsets.vocabulary
    for ids, (start, end) in zip(split.token_ids.numpy(), split.targets):
        if start == 0:
            assert end == 0
        else:
            assert [vocabulary[i] for i in ids[start:end + 1]] == ["falcon"]
    assert (split.targets[:, 0] > 0).sum() >= 1 and split.targets[0, 0] == 0


def _examples(questions, contexts, answers=None):
    from tfft.tasks.question_answering.squad import Answer, QAExamples

    gold = None if answers is None else [[Answer(t, s) for t, s in row] for row in answers]
    n = len(questions)
    return QAExamples("inline", [str(i) for i in range(n)], ["t"] * n, questions, contexts, gold, [None] * n)


def test_served_model_answers_a_3000_character_context(trained_qa):
    rng = random.Random(7)
    long_context = coded_context(rng, "lantern", 125, at_end=True)
    assert len(long_context) >= 3000 and long_context.rindex("lantern") > 2900
    contexts = [long_context, coded_context(rng, "copper", 2), "Héllo. The secret code is violet."]
    served = pure_tf_outputs(trained_qa.export_path, {"question": [QUESTION] * 3, "context": contexts})
    assert served["loaded"] == []
    assert served["answer"] == ["lantern", "copper", "violet"]
    for context, start, end, answer in zip(contexts, served["answer_start"], served["answer_end"], served["answer"]):
        assert context[start:end] == answer
    trained = load_trained_model(trained_qa.run_dir)
    split = trained.task.encode(trained.encoder, _examples([QUESTION] * 3, contexts))
    in_process = trained.task.predict(trained.model, trained.encoder, split)
    assert in_process == list(zip(served["answer"], served["answer_start"], served["answer_end"]))
    assert np.all(np.asarray(served["score"]) > 0.0)


def test_cli_predict_takes_named_inputs_and_files(trained_qa, tmp_path, capsys):
    from tfft.cli import main

    export = str(trained_qa.export_path.parent)
    context = "Birds sang all morning. The secret code is meadow."
    assert main(["predict", export, "--input", f"question={QUESTION}", "--input", f"context={context}"]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["answer"] == "meadow" and context[row["answer_start"]:row["answer_end"]] == "meadow"
    source = tmp_path / "questions.jsonl"
    source.write_text(json.dumps({"question": QUESTION, "context": context}) + "\n", encoding="utf-8")
    assert main(["predict", export, "--file", str(source)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["answer"] == "meadow"
    assert main(["predict", export, "--input", f"question={QUESTION}"]) == 2  # context missing
    assert "takes inputs ['question', 'context']" in capsys.readouterr().err


def test_prompt_tuned_reader_keeps_span_positions_and_serves_them(tmp_path):
    """Soft-prompt vectors are dropped after the last layer, so start/end logits stay on the tokens."""
    from tfft.commands.evaluate import evaluate_export, evaluate_run
    from tfft.commands.train import train_and_export

    files = {"train": squad_file(tmp_path / "train.json", 10, 1), "test": squad_file(tmp_path / "test.json", 2, 2)}
    overrides = [o for o in tiny_overrides(tmp_path, files, name="qa-prompt", task="question_answering", **{
        "model.max_length": 48, "training.epochs": 3, "task_options.validation_articles": 2,
        "peft.method": "prompt", "peft.virtual_tokens": 4, "training.learning_rate": 3e-2,
    }) if not o.startswith("task_options.pooling")]
    run = train_and_export(load_config(None, overrides), verbose=0)
    assert (run.run_dir / "adapter" / "adapter.safetensors").is_file()
    assert run.metrics["training"]["trainable_percent"] < 1
    from_run = evaluate_run(run.run_dir, str(files["test"])).metrics
    assert evaluate_export(run.export_path.parent, str(files["test"])).metrics == from_run


def test_tfft_explain_attributes_the_answer_start_and_end_in_question_and_context(trained_qa, tmp_path, capsys):
    from tfft.cli import main
    from tfft.explain.explainer import TextExplainer

    rng = random.Random(5)
    short = coded_context(rng, "falcon", 2)
    long = coded_context(rng, "maple", 40, at_end=True)  # several windows; the answer is in a late one
    explainer = TextExplainer.load(trained_qa.run_dir)
    served = LoadedExport(trained_qa.export_path).predict({"question": [QUESTION] * 2, "context": [short, long]})
    for row, context in enumerate((short, long)):
        record = explainer.explain({"question": QUESTION, "context": context}, steps=32)
        assert record["answer"] == served["answer"][row].decode()
        assert (record["answer_start"], record["answer_end"]) == (served["answer_start"][row], served["answer_end"][row])
        start, end = record["answer_boundaries"]
        assert (start["target"], end["target"]) == ("start", "end")
        assert start["score"] * end["score"] == pytest.approx(float(served["score"][row]), abs=1e-4)
        for boundary in (start, end):
            assert boundary["completeness_error"] < 0.05
            parts = {w["part"] for w in boundary["words"]}
            assert parts == {"question", "context"}
            for word in boundary["words"]:
                assert word["word"] == {"question": QUESTION, "context": context}[word["part"]][word["start"]:word["end"]]
        context_words = [w for w in start["words"] if w["part"] == "context"]
        if row == 1:  # the explained window is the late one holding the answer, not the context's start
            assert context_words[0]["start"] > 0 and context_words[-1]["end"] == len(context)
    out, page = tmp_path / "qa.jsonl", tmp_path / "qa.html"
    assert main(["explain", str(trained_qa.run_dir), QUESTION, "--pair", short, "--output", str(out),
                 "--html", str(page), "--steps", "8"]) == 0
    printed = capsys.readouterr().out
    assert f"question: {QUESTION} | context: {short}" in printed and "answer start '" in printed
    assert json.loads(out.read_text())["input_names"] == ["question", "context"]
    assert main(["explain", str(trained_qa.run_dir), QUESTION]) == 2
    assert "give one --pair (context) per text" in capsys.readouterr().err
