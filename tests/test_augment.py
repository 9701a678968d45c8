"""EDA and back-translation augmentation, training samples, and what a run records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import tiny_config
from tfft.config import AugmentConfig, ConfigError
from tfft.data.augment import EdaAugmenter, augmented_rows, read_synonyms
from tfft.data.errors import DataError
from tfft.export.translation import back_translators

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
    result = train(config, verbose=0, translators=back_translators(config.data.augment))
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
    from tfft.training.run_data import load_splits
    from tfft.tasks import make_task

    data = DataConfig(train=str(sentiment_files["train"]), augment=AugmentConfig(method="eda"))
    task = make_task("token_classification", {}, data)
    task.read = lambda path: pytest.fail("the check must come before any reading")
    with pytest.raises(ValueError, match="does not support text augmentation"):
        load_splits(data, task, 0)


# --- back-translation -----------------------------------------------------------------

def save_translator(path, rewrite):
    """A SavedModel with tfft's generation serving contract: prompt -> generated_text (+ a count)."""
    import tensorflow as tf

    class Translator(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="prompt")])
        def serve(self, prompt):
            text = rewrite(prompt)
            return {"generated_text": text, "num_generated_tokens": tf.strings.length(text)}

    module = Translator()
    tf.saved_model.save(module, str(path / "1"), signatures={"serving_default": module.serve})
    return str(path)


@pytest.fixture(scope="module")
def translators(tmp_path_factory):
    import tensorflow as tf

    root = tmp_path_factory.mktemp("translators")
    # "English -> pivot" marks words; "pivot -> English" swaps one word for another, as a real
    # round trip rewords some sentences and gives others back unchanged.
    to_pivot = save_translator(root / "to", lambda t: tf.strings.regex_replace(t, r"(\w+)", r"<\1>"))
    back = save_translator(root / "back", lambda t: tf.strings.regex_replace(
        tf.strings.regex_replace(t, "<movie>", "film"), r"<(\w+)>", r"\1"))
    return to_pivot, back


def test_back_translation_keeps_paraphrases_that_differ_and_marks_them(translators):
    config = AugmentConfig(method="back_translation", translate_to=translators[0], translate_back=translators[1])
    texts = ["the movie was great", "the phone was poor", "a MOVIE to remember"]
    rows = augmented_rows(texts, ["p0", "p1", "p2"], config, back_translators(config))
    # Row 1 comes back unchanged and row 2's "MOVIE" does not match: only row 0 is new.
    assert [(r.source_index, r.operation, r.text, r.pair) for r in rows] == [
        (0, "back_translation", "the film was great", "p0")]


def test_back_translation_needs_both_models_and_one_text_output(tmp_path, translators):
    import tensorflow as tf

    with pytest.raises(ConfigError, match="translate_to and data.augment.translate_back"):
        AugmentConfig(method="back_translation", translate_to=translators[0])
    with pytest.raises(ConfigError, match="copies=1"):
        AugmentConfig(method="back_translation", translate_to="a", translate_back="b", copies=2)
    with pytest.raises(ValueError, match="translation model .*nowhere"):
        back_translators(AugmentConfig(method="back_translation", translate_to=str(tmp_path / "nowhere"),
                                       translate_back=translators[1]))
    with pytest.raises(ValueError, match="needs its translators"):
        augmented_rows(["x y"], None, AugmentConfig(method="back_translation", translate_to="a", translate_back="b"))

    class TwoTexts(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="prompt")])
        def serve(self, prompt):
            return {"first": prompt, "second": prompt}

    module = TwoTexts()
    tf.saved_model.save(module, str(tmp_path / "two" / "1"), signatures={"serving_default": module.serve})
    with pytest.raises(ValueError, match="no single text output"):
        back_translators(AugmentConfig(method="back_translation", translate_to=str(tmp_path / "two"),
                                       translate_back=translators[1]))


def test_a_run_trains_on_back_translated_rows(tmp_path, sentiment_files, translators):
    from tfft.training.run import train

    config = tiny_config(tmp_path, sentiment_files, **{
        "training.epochs": 1, "export.enabled": False, "data.augment.method": "back_translation",
        "data.augment.translate_to": translators[0], "data.augment.translate_back": translators[1]})
    result = train(config, verbose=0, translators=back_translators(config.data.augment))
    records = [json.loads(line) for line in (result.run_dir / "augmented_rows.jsonl").read_text().splitlines()]
    source = sentiment_files["train"].read_text().splitlines()
    with_movie = [line for line in source[1:] if "movie" in line.split(",")[0]]
    assert 0 < len(records) <= len(with_movie)  # only rows the round trip changed (some are validation)
    for record in records:
        original = source[record["source_line"] - 1].split(",")[0]
        assert record["operation"] == "back_translation" and record["text"] == original.replace("movie", "film")
    assert result.metrics["training"]["rows"] == 86 + len(records)
