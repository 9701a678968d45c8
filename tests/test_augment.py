"""EDA augmentation and training samples: operations, word lists, and what a run records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import tiny_config
from tfft.config import AugmentConfig, ConfigError
from tfft.data.augment import EdaAugmenter, augmented_rows, read_synonyms
from tfft.data.errors import DataError

SYNONYMS = {"great": ["excellent", "superb"], "movie": ["film"]}


@pytest.mark.parametrize("operation", ["synonym", "insert", "swap", "delete"])
def test_each_operation_changes_words_as_named(operation):
    augmenter = EdaAugmenter(AugmentConfig(method="eda", rate=0.3, operations=[operation]), SYNONYMS)
    text = "the movie was great and the cast was great too"
    changed, name = augmenter.augment(text, np.random.default_rng(1))
    before, after = text.split(), changed.split()
    assert name == operation and changed != text
    if operation == "synonym":
        assert len(after) == len(before) and {"excellent", "superb", "film"} & set(after)
    elif operation == "insert":
        assert len(after) > len(before) and {"excellent", "superb", "film"} & set(after)
    elif operation == "swap":
        assert sorted(after) == sorted(before)
    else:
        assert 0 < len(after) < len(before) and set(after) <= set(before)


def test_without_a_word_list_only_swap_and_delete_apply():
    augmenter = EdaAugmenter(AugmentConfig(method="eda"))
    assert augmenter.operations == ["swap", "delete"]
    with pytest.raises(ValueError, match="synonyms"):
        EdaAugmenter(AugmentConfig(method="eda", operations=["synonym"]))


def test_word_list_errors_name_file_and_line(tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("# word,synonyms\ngreat,excellent,superb\nlonely\n")
    with pytest.raises(DataError, match=r"synonyms.txt, line 3"):
        read_synonyms(path)
    path.write_text("great,excellent\nGreat,superb\n")
    assert read_synonyms(path) == {"great": ["excellent", "superb"]}


def test_copies_are_seeded_and_point_at_their_original():
    config = AugmentConfig(method="eda", copies=2, rate=0.3, seed=5)
    texts = ["the movie was great fun", "an awful and dreadful meal", "ok"]
    rows = augmented_rows(texts, None, config)
    assert rows == augmented_rows(texts, None, config)
    assert {row.source_index for row in rows} <= {0, 1} and len(rows) <= 4  # "ok" is too short to change
    with pytest.raises(ConfigError, match="operations"):
        AugmentConfig(method="eda", operations=["paraphrase"])


def test_a_run_trains_on_augmented_rows_and_records_them(tmp_path, sentiment_files):
    from tfft.training.run import train

    config = tiny_config(tmp_path, sentiment_files, **{
        "training.epochs": 1, "export.enabled": False, "data.train_sample": 40,
        "data.augment.method": "eda", "data.augment.copies": 2, "data.augment.rate": 0.3})
    result = train(config, verbose=0)
    records = [json.loads(line) for line in (result.run_dir / "augmented_rows.jsonl").read_text().splitlines()]
    assert 40 < len(records) <= 80 and {r["operation"] for r in records} <= {"swap", "delete"}
    source = sentiment_files["train"].read_text().splitlines()
    for record in records[:10]:
        original = source[record["source_line"] - 1].split(",")[0]
        assert set(record["text"].split()) <= set(original.split()) and record["text"] != original
    assert result.metrics["training"]["rows"] == 40 + len(records)
    assert result.metrics["validation"]["after"]["examples"] == 10  # held out before sampling and augmenting


def test_tasks_whose_labels_depend_on_words_refuse(tmp_path, sentiment_files):
    from tfft.config import DataConfig
    from tfft.data.splits import load_splits
    from tfft.tasks import make_task

    data = DataConfig(train=str(sentiment_files["train"]), augment=AugmentConfig(method="eda"))
    task = make_task("token_classification", {}, data)
    task.read = lambda path: pytest.fail("the check must come before any reading")
    with pytest.raises(ValueError, match="does not support text augmentation"):
        load_splits(data, task, 0)
