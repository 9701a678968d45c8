from collections import Counter

import pytest

from tfft.data.labels import LabelVocabulary
from tfft.data.readers import TextExamples
from tfft.data.partition import per_class_sample, stratified_split


def test_integer_labels_sort_numerically(tmp_path):
    vocab = LabelVocabulary.from_labels(["10", "2", "1", "2"])
    assert vocab.names == ["1", "2", "10"]
    vocab.save(tmp_path / "labels.json")
    assert LabelVocabulary.load(tmp_path / "labels.json").names == ["1", "2", "10"]


def test_string_labels_sorted_and_indexed():
    vocab = LabelVocabulary.from_labels(["refund", "billing", "refund"])
    assert vocab.names == ["billing", "refund"] and vocab.index("refund") == 1


def examples(labels):
    n = len(labels)
    return TextExamples("mem", [f"t{i}" for i in range(n)], None, list(labels), list(range(2, n + 2)), "label")


def test_stratified_split_is_seeded_and_keeps_proportions():
    labels = ["a"] * 80 + ["b"] * 20
    train, validation = stratified_split(examples(labels), 0.1, seed=3, strata=labels)
    assert Counter(validation.labels) == {"a": 8, "b": 2}
    assert len(train) == 90
    again_train, again_validation = stratified_split(examples(labels), 0.1, seed=3, strata=labels)
    assert again_validation.texts == validation.texts
    other = stratified_split(examples(labels), 0.1, seed=4, strata=labels)[1]
    assert other.texts != validation.texts
    assert set(train.texts).isdisjoint(validation.texts)
    # lines travel with rows so later errors still point at the file
    assert all(int(t[1:]) + 2 == line for t, line in zip(validation.texts, validation.lines))


def test_split_falls_back_when_a_class_is_tiny():
    labels = ["a"] * 30 + ["b"]
    train, validation = stratified_split(examples(labels), 0.2, seed=0, strata=labels)
    assert len(train) + len(validation) == 31


def test_too_few_rows():
    with pytest.raises(ValueError, match="too few"):
        stratified_split(examples(["a"]), 0.5, seed=0)


def test_per_class_sample_takes_k_of_each_label_seeded():
    labels = ["a"] * 80 + ["b"] * 20 + ["c"] * 3
    data = examples(labels)
    sample = per_class_sample(data, labels, 5, seed=7)
    assert Counter(sample.labels) == {"a": 5, "b": 5, "c": 3}  # a label with fewer rows keeps them all
    assert sample.lines == sorted(sample.lines)  # file order kept, so errors still name lines
    assert per_class_sample(data, labels, 5, seed=7).lines == sample.lines
    assert per_class_sample(data, labels, 5, seed=8).lines != sample.lines


def test_train_sample_and_train_per_class_are_exclusive():
    from tfft.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="set one"):
        load_config(None, ["data.train_sample=100", "data.train_per_class=16"])
