"""Prompt-based classification: cloze template encoding, the masked-LM head's label-word scores, runs."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from test_export import pure_tf_outputs
from tfft.backbones import BackboneError, load_backbone
from tfft.config import DataConfig, ModelConfig
from tfft.data.readers import read_examples
from tfft.tasks import make_task
from tfft.tasks.prompt_classification.template_encoder import TemplateEncoder

LABEL_WORDS = {"negative": "terrible", "positive": "great"}
PROMPT_OPTIONS = {"template": "{text} It was [MASK].", "label_words": LABEL_WORDS}


@pytest.fixture(scope="module")
def tokenizer():
    return load_backbone("scratch:tiny", 32).tokenizer


@pytest.fixture(scope="module")
def mlm_preset(tmp_path_factory) -> Path:
    """A tiny random BERT saved with its masked-LM head, as `tfft pretrain` saves one."""
    loaded = load_backbone("scratch:tiny", 32)
    keras.utils.set_random_seed(3)
    masked_lm = keras_hub.models.BertMaskedLM(loaded.backbone, preprocessor=None)
    head = masked_lm.masked_lm_head
    head._bias.assign(tf.random.normal(head._bias.shape))  # a head unlike a fresh one
    preset = tmp_path_factory.mktemp("mlm") / "preset"
    masked_lm.save_to_preset(str(preset))
    loaded.tokenizer.save_to_preset(str(preset))
    return preset


def prompt_overrides(preset: Path, **extra) -> dict:
    # The whole section replaces the tiny runs' classification options (pooling).
    values = {"task": "prompt_classification", "model.backbone": str(preset),
              "task_options": json.dumps(PROMPT_OPTIONS)}
    values.update(extra)
    return values


# --- encoding ---------------------------------------------------------------------

def test_template_wraps_text_and_puts_the_mask_token_by_id(tokenizer):
    encoder = TemplateEncoder(tokenizer, 32, "Review: {text} It was [MASK].")
    token_ids, segment_ids = encoder.encode(tf.constant(["the movie was fun", "bad"]))
    words = [[tokenizer.id_to_token(int(i)) for i in row] for row in token_ids.to_list()]
    assert words[0] == ["[CLS]", "review", ":", "the", "movie", "was", "fun", "it", "was", "[MASK]", ".", "[SEP]"]
    assert words[1] == ["[CLS]", "review", ":", "bad", "it", "was", "[MASK]", ".", "[SEP]"]
    assert segment_ids.flat_values.numpy().max() == 0


def test_long_texts_give_way_to_the_template(tokenizer):
    encoder = TemplateEncoder(tokenizer, 12, "{text} It was [MASK].")
    token_ids, _ = encoder.encode(tf.constant([" ".join(["movie"] * 40)]))
    row = [tokenizer.id_to_token(int(i)) for i in token_ids.to_list()[0]]
    assert len(row) == 12
    assert row[-5:] == ["it", "was", "[MASK]", ".", "[SEP]"] and row[1:7] == ["movie"] * 6


@pytest.mark.parametrize("template, message", [
    ("It was [MASK].", r"\{text\} exactly once"),
    ("{text} [MASK] or [MASK]", r"\[MASK\] exactly once"),
    ("[MASK]: {text}", "before"),
])
def test_bad_templates_say_what_is_wrong(tokenizer, template, message):
    with pytest.raises(ValueError, match=message):
        TemplateEncoder(tokenizer, 32, template)


# --- the head -----------------------------------------------------------------------

def fitted_task(sentiment_files, label_words=LABEL_WORDS):
    task = make_task("prompt_classification", {**PROMPT_OPTIONS, "label_words": label_words}, DataConfig())
    task.fit(read_examples(str(sentiment_files["train"]), DataConfig()))
    return task


def test_logits_are_the_pretrained_heads_scores_of_the_label_words(mlm_preset, sentiment_files):
    task = fitted_task(sentiment_files)
    loaded = load_backbone(str(mlm_preset), 32)
    encoder = task.make_encoder(loaded.tokenizer, 32)
    model = task.build_model(loaded.backbone, ModelConfig(backbone=str(mlm_preset)), encoder)
    task.load_pretrained_head(ModelConfig(backbone=str(mlm_preset)))

    inputs = encoder.model_inputs(*encoder.encode(tf.constant(["the meal was great", "a poor hotel"])))
    logits = model(inputs, training=False).numpy()

    reference = keras_hub.models.BertMaskedLM.from_preset(str(mlm_preset), preprocessor=None)
    mask_positions = tf.argmax(tf.cast(inputs["token_ids"] == encoder.mask_id, tf.int32), axis=1)[:, None]
    vocabulary = reference({**inputs, "mask_positions": mask_positions}, training=False).numpy()[:, 0, :]
    word_ids = [loaded.tokenizer.token_to_id(LABEL_WORDS[name]) for name in task.vocabulary.names]
    np.testing.assert_allclose(logits, vocabulary[:, word_ids], atol=1e-5)


def test_a_backbone_without_a_masked_lm_head_is_refused(sentiment_files):
    task = fitted_task(sentiment_files)
    loaded = load_backbone("scratch:tiny", 32)
    task.build_model(loaded.backbone, ModelConfig(backbone="scratch:tiny"), task.make_encoder(loaded.tokenizer, 32))
    with pytest.raises(BackboneError, match="masked-LM head.*tfft pretrain"):
        task.load_pretrained_head(ModelConfig(backbone="scratch:tiny"))


def test_label_words_must_cover_every_label_and_be_one_token(sentiment_files, tokenizer):
    with pytest.raises(ValueError, match=r"no word for label\(s\) \['positive'\]"):
        fitted_task(sentiment_files, {"negative": "terrible"})
    task = fitted_task(sentiment_files, {"negative": "terrible", "positive": "superbly-crafted"})
    with pytest.raises(ValueError, match="'superbly-crafted' \\(label positive\\) is .* tokens"):
        task.label_word_ids(tokenizer)


# --- runs ---------------------------------------------------------------------------

def test_prompt_run_learns_from_the_pretrained_head_and_exports(tmp_path, sentiment_files, mlm_preset):
    from tfft.commands.train import train_and_export

    config = tiny_config(tmp_path, sentiment_files, **prompt_overrides(
        mlm_preset, **{"training.epochs": 5, "training.batch_size": 4}))  # attention must learn to reach the mask
    result = train_and_export(config, verbose=0)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["validation"]["before"]["accuracy"] is not None  # the zero-shot score
    assert metrics["test"]["accuracy"] >= 0.9

    # A tiny model's answer on two hand-picked texts changed with the test order (under
    # pytest-xdist); the test accuracy above checks learning, and the export must serve what the run computes.
    texts = ["the book was great", "the phone was terrible"]
    served = pure_tf_outputs(result.export_path, texts)
    assert served["loaded"] == []

    from tfft.training.trained_model import load_trained_model

    trained = load_trained_model(result.run_dir)
    inputs = trained.encoder.model_inputs(*trained.encoder.encode(tf.constant(texts)))
    local = tf.nn.softmax(trained.model(inputs, training=False)).numpy()
    np.testing.assert_allclose(served["probabilities"], local, atol=1e-5)
    assert served["label"] == [trained.task.vocabulary.names[i] for i in local.argmax(-1)]
