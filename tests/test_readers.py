"""Every bad-input case names the file, line and column; --skip-bad-rows lists them."""

import json

import pandas as pd
import pytest

from tfft.config import DataConfig
from tfft.data.errors import DataError
from tfft.data.readers import read_examples
from tfft.tasks import make_task


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def error_for(path, data=None, with_labels=True) -> str:
    with pytest.raises(DataError) as info:
        read_examples(str(path), data or DataConfig(), with_labels)
    return str(info.value)


def test_reads_csv_with_lines_and_quoted_newlines(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\nhello,pos\n"multi\nline",neg\nbye,pos\n')
    examples = read_examples(str(path), DataConfig())
    assert examples.texts == ["hello", "multi\nline", "bye"]
    assert examples.labels == ["pos", "neg", "pos"]
    assert examples.lines == [2, 3, 5]


def test_missing_file(tmp_path):
    message = error_for(tmp_path / "missing.csv")
    assert "missing.csv" in message and "does not exist" in message


def test_missing_column_names_header_line(tmp_path):
    path = write(tmp_path, "a.csv", "sentence,label\nhi,pos\n")
    message = error_for(path)
    assert f"{path}, line 1, column 'text'" in message and "sentence" in message


def test_empty_text(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhi,pos\n   ,neg\n")
    assert f"{path}, line 3, column 'text': value is empty" in error_for(path)


def test_missing_label(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhi,pos\nthere,\n")
    assert f"{path}, line 3, column 'label'" in error_for(path)


def test_undecodable_bytes(tmp_path):
    path = write(tmp_path, "a.csv", b"text,label\nhi,pos\ncaf\xe9 au lait,neg\n")
    message = error_for(path)
    assert f"{path}, line 3, column 'text'" in message and "UTF-8" in message


def test_duplicated_header(tmp_path):
    path = write(tmp_path, "a.csv", "text,label,text\nhi,pos,x\n")
    assert f"{path}, line 1, column 'text'" in error_for(path) and "more than once" in error_for(path)


def test_ragged_rows(tmp_path):
    path = write(tmp_path, "a.tsv", "text\tlabel\nhi\tpos\nthere\tneg\textra\n")
    message = error_for(path)
    assert f"{path}, line 3" in message and "expected 2 fields" in message and "found 3" in message


def test_unseen_label_in_eval_file(tmp_path):
    train = read_examples(str(write(tmp_path, "t.csv", "text,label\na,pos\nb,neg\n")), DataConfig())
    task = make_task("classification", {}, DataConfig())
    task.fit(train)
    evaluation = read_examples(str(write(tmp_path, "e.csv", "text,label\na,pos\nb,neutral\n")), DataConfig())
    with pytest.raises(DataError) as info:
        task.targets(evaluation)
    assert "e.csv, line 3, column 'label': label 'neutral' never appears" in str(info.value)


def test_skip_bad_rows_reports_lines(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhi,pos\n,neg\nok,neg\nx,y,z\nfine,\n")
    examples = read_examples(str(path), DataConfig(skip_bad_rows=True))
    assert examples.texts == ["hi", "ok"]
    assert [row.line for row in examples.skipped.skipped] == [3, 5, 6]
    summary = examples.skipped.summary()
    assert "skipped 3 bad row(s) at line(s) 3, 5, 6" in summary and str(path) in summary


def test_jsonl_with_pairs_and_bad_json(tmp_path):
    rows = [{"q": "is it red", "p": "the car is red", "y": 1}, {"q": "is it big", "p": "it is small", "y": 0}]
    path = write(tmp_path, "a.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n{oops\n")
    data = DataConfig(text_column="q", text_pair_column="p", label_column="y")
    message = error_for(path, data)
    assert f"{path}, line 3" in message and "not valid JSON" in message
    examples = read_examples(str(path), DataConfig(text_column="q", text_pair_column="p",
                                                  label_column="y", skip_bad_rows=True))
    assert examples.pairs == ["the car is red", "it is small"] and examples.labels == ["1", "0"]


def test_jsonl_missing_key_names_column(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a", "label": "x"}\n{"text": "b"}\n')
    assert f"{path}, line 2, column 'label': value is missing" in error_for(path)


def test_parquet_and_column_mapping(tmp_path):
    path = tmp_path / "a.parquet"
    pd.DataFrame({"review": ["good", "bad", None], "stars": [5, 1, 3]}).to_parquet(path)
    data = DataConfig(text_column="review", label_column="stars")
    assert f"{path}, line 4, column 'review'" in error_for(path, data)
    examples = read_examples(str(path), DataConfig(text_column="review", label_column="stars", skip_bad_rows=True))
    assert examples.texts == ["good", "bad"] and examples.labels == ["5", "1"]


def test_unlabelled_read_ignores_label_column(tmp_path):
    path = write(tmp_path, "a.csv", "text\nhello\n")
    assert read_examples(str(path), DataConfig(), with_labels=False).texts == ["hello"]


def test_unsupported_extension(tmp_path):
    path = write(tmp_path, "a.xlsx", "x")
    assert "unsupported file type '.xlsx'" in error_for(path)
