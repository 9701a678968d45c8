"""NER input: CoNLL and span-JSONL readers, tag schemes, and their bad-input errors."""

import json

import pytest

from tfft.config import DataConfig
from tfft.tasks.token_classification.conll import read_conll
from tfft.data.errors import DataError
from tfft.tasks.token_classification.span_examples import Span, SpanExamples
from tfft.tasks.token_classification.span_jsonl import read_span_jsonl
from tfft.tasks.token_classification.tag_schemes import tags_to_spans
from tfft.tasks.token_classification.entity_metrics import entity_report, word_tags

CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("scheme, tags, expected", [
    ("BIO", ["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC"), (4, 5, "LOC")]),
    ("BIO", ["O", "I-ORG", "I-ORG", "I-PER"], [(1, 3, "ORG"), (3, 4, "PER")]),  # stray I- starts one
    ("IOB1", ["I-PER", "I-PER", "B-PER", "O", "I-LOC"], [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),
    ("IOBES", ["B-PER", "E-PER", "S-LOC", "S-LOC", "O", "B-ORG", "I-ORG", "E-ORG"],
     [(0, 2, "PER"), (2, 3, "LOC"), (3, 4, "LOC"), (5, 8, "ORG")]),
    ("BILOU", ["U-PER", "B-LOC", "L-LOC"], [(0, 1, "PER"), (1, 3, "LOC")]),
])
def test_tag_schemes_become_the_same_spans(scheme, tags, expected):
    assert tags_to_spans(tags, scheme) == expected


def test_conll_sentences_become_texts_with_character_spans(tmp_path):
    examples = read_conll(write(tmp_path, "train.txt", CONLL))
    assert examples.texts == ["EU rejects German call", "Peter Blackburn"]
    assert examples.lines == [3, 8]
    assert examples.spans[0] == [Span(0, 2, "ORG"), Span(11, 17, "MISC")]
    assert examples.texts[1][examples.spans[1][0].start:examples.spans[1][0].end] == "Peter Blackburn"
    assert examples.words[0] == [(0, 2), (3, 10), (11, 17), (18, 22)]


def test_conll_tag_column_and_iobes(tmp_path):
    path = write(tmp_path, "t.conll", "New S-X B-LOC\nYork S-X E-LOC\nis O O\n")
    examples = read_conll(path, tag_column=2, scheme="IOBES")
    assert examples.spans == [[Span(0, 8, "LOC")]]


@pytest.mark.parametrize("bad_line, line, column, reason", [
    ("call\n", 6, None, "expected a token and a tag"),
    ("call NN I-NP O extra\n", 6, None, "found 5 columns"),
    ("call NN I-NP Q-LOC\n", 6, "column 4", "tag 'Q-LOC'"),
])
def test_malformed_conll_lines_are_named(tmp_path, bad_line, line, column, reason):
    path = write(tmp_path, "bad.txt", CONLL.replace("call NN I-NP O\n", bad_line))
    with pytest.raises(DataError) as error:
        read_conll(path)
    message = str(error.value)
    assert f"bad.txt, line {line}" in message and reason in message
    if column:
        assert f"column '{column}'" in message


def test_undecodable_conll_line_is_named(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(CONLL.replace("German", "G\xe9rman").encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.txt, line 5: undecodable bytes"):
        read_conll(str(path))


def test_skip_bad_rows_drops_the_sentence_and_reports_the_line(tmp_path):
    path = write(tmp_path, "bad.txt", CONLL.replace("call NN I-NP O\n", "call NN I-NP Q-LOC\n"))
    examples = read_conll(path, skip_bad_rows=True)
    assert examples.texts == ["Peter Blackburn"]
    assert [row.line for row in examples.skipped.skipped] == [6]
    assert "skipped 1 bad row(s) at line(s) 6" in examples.skipped.summary()


def jsonl(tmp_path, rows, name="spans.jsonl"):
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    return write(tmp_path, name, "\n".join(lines) + "\n")


def test_span_jsonl_accepts_dicts_and_doccano_lists(tmp_path):
    path = jsonl(tmp_path, [
        {"text": "Ada Lovelace lived in London", "entities": [{"start": 22, "end": 28, "label": "LOC"},
                                                          {"start": 0, "end": 12, "type": "PER", "text": "Ada Lovelace"}]},
        {"text": "Visit Paris", "entities": [[6, 11, "LOC"]]},
    ])
    examples = read_span_jsonl(path, DataConfig(label_column="entities"))
    assert examples.spans == [[Span(0, 12, "PER"), Span(22, 28, "LOC")], [Span(6, 11, "LOC")]]
    assert examples.words[1] == [(0, 5), (6, 11)]
    assert examples.lines == [1, 2]


def test_cluener2020_labels_become_spans_with_exclusive_ends(tmp_path):
    path = jsonl(tmp_path, [
        {"text": "浙商银行企业信贷部叶老桂博士则从另一个角度", "label": {"name": {"叶老桂": [[9, 11]]},
                                                      "company": {"浙商银行": [[0, 3]]}}},
        {"text": "他在北京和北京大学之间", "label": {"address": {"北京": [[2, 3]]}, "organization": {"北京大学": [[5, 8]]}}},
    ])
    examples = read_span_jsonl(path, DataConfig(label_column="label"))
    assert examples.spans == [[Span(0, 4, "company"), Span(9, 12, "name")],
                              [Span(2, 4, "address"), Span(5, 9, "organization")]]
    text = examples.texts[0]
    assert [text[a:b] for a, b in examples.words[0]][:5] == ["浙", "商", "银", "行", "企"]  # a word per ideograph


@pytest.mark.parametrize("label, reason", [
    ({"name": {"叶老桂": [[9, 12]]}}, "does not match the text"),
    ({"name": ["叶老桂"]}, "'name' should map entity texts to [[start, end], ...] lists"),
    ({"name": {"叶老桂": [9, 11]}}, "'name' / '叶老桂' should be a list of [start, end] pairs"),
])
def test_bad_cluener2020_labels_are_named(tmp_path, label, reason):
    path = jsonl(tmp_path, [{"text": "浙商银行企业信贷部叶老桂博士", "label": label}])
    with pytest.raises(DataError, match="line 1, column 'label'") as error:
        read_span_jsonl(path, DataConfig(label_column="label"))
    assert reason in str(error.value)


@pytest.mark.parametrize("row, reason", [
    ({"text": "Visit Paris", "entities": [[6, 40, "LOC"]]}, "outside the text (11 characters)"),
    ({"text": "Visit Paris", "entities": [{"start": 6, "end": 11, "label": "LOC", "text": "Rome"}]},
     "does not match the text: the text has 'Paris', the entity says 'Rome'"),
    ({"text": "Visit Paris", "entities": [[0, 11, "X"], [6, 11, "LOC"]]}, "overlap"),
    ({"text": "Visit Paris", "entities": "LOC"}, "expected a list of entities"),
    ({"text": "", "entities": []}, "missing or empty text"),
])
def test_bad_spans_are_named_with_line_and_column(tmp_path, row, reason):
    good = {"text": "Visit Rome", "entities": [[6, 10, "LOC"]]}
    path = jsonl(tmp_path, [good, row])
    with pytest.raises(DataError) as error:
        read_span_jsonl(path, DataConfig(label_column="entities"))
    assert "spans.jsonl, line 2, column '" in str(error.value) and reason in str(error.value)
    skipping = read_span_jsonl(path, DataConfig(label_column="entities", skip_bad_rows=True))
    assert skipping.texts == ["Visit Rome"] and skipping.skipped.skipped[0].line == 2


def test_word_tags_and_strict_entity_scores():
    words = [(0, 3), (4, 12), (13, 18), (19, 21), (22, 28)]  # "Ada Lovelace lived in London"
    gold = [Span(0, 12, "PER"), Span(22, 28, "LOC")]
    assert word_tags(words, gold) == ["B-PER", "I-PER", "O", "O", "B-LOC"]

    examples = SpanExamples("x.jsonl", ["Ada Lovelace lived in London"], [gold], [words], [1])
    assert entity_report(examples, [gold]).metrics["f1"] == 1.0
    partial = entity_report(examples, [[Span(4, 12, "PER"), Span(22, 28, "LOC")]]).metrics
    assert partial["precision"] == 0.5 and partial["recall"] == 0.5  # a boundary miss is a miss
    assert partial["per_type"]["LOC"]["f1"] == 1.0 and partial["per_type"]["PER"]["f1"] == 0.0
