"""The sample data sets shipped in tfft/sample_data read as their configs say."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tfft.config import load_config
from tfft.tasks import make_task

SAMPLES = Path(__file__).resolve().parent.parent / "tfft" / "sample_data"


def read_sample(name: str, split: str):
    config = load_config(SAMPLES / name / "config.yaml")
    task = make_task(config.task, config.task_options, config.data)
    return task.read(config.data.train if split == "train" else config.data.test)


@pytest.mark.parametrize("name", ["support_intents", "zh_support_intents"])
def test_sample_has_every_intent_in_train_and_test_and_no_test_text_in_train(name):
    train, test = read_sample(name, "train"), read_sample(name, "test")
    assert set(Counter(test.labels).values()) == {12} and min(Counter(train.labels).values()) >= 30
    assert set(train.labels) == set(test.labels) == set(read_sample("support_intents", "train").labels)
    assert not set(test.texts) & set(train.texts)


def test_chinese_sample_is_chinese_and_fine_tunes_a_chinese_backbone():
    config = load_config(SAMPLES / "zh_support_intents" / "config.yaml")
    assert config.model.backbone == "runs/zh-bert/preset"  # what configs/pretrain_zh_bert.yaml writes
    texts = read_sample("zh_support_intents", "train").texts
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in texts)
