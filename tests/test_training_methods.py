"""Training methods that change the step: FGM / PGD adversarial training and distillation."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import sentiment_rows, tiny_config, write_csv
from tfft.backbones import SCRATCH_SIZES, keep_lower_layers
from tfft.config import AdversarialConfig, ConfigError, DataConfig, load_config
from tfft.evaluation.robustness import perturb_texts
from tfft.tasks.classification.task import ClassificationTask
from tfft.training.accumulation import configure_train_step
from tfft.training.gradient_methods import EmbeddingPerturbation, make_gradient_method, token_embedding

VOCABULARY, LENGTH, ROWS = 60, 10, 8


def tiny_classifier(num_layers: int = 2) -> keras.Model:
    import keras_hub

    keras.utils.set_random_seed(5)
    size = {**SCRATCH_SIZES["tiny"], "num_layers": num_layers}
    backbone = keras_hub.models.BertBackbone(vocabulary_size=VOCABULARY, max_sequence_length=LENGTH,
                                             dropout=0.0, **size)
    logits = keras.layers.Dense(2)(backbone(backbone.input)["pooled_output"])
    return keras.Model(backbone.input, logits)


def batch():
    rng = np.random.default_rng(1)
    x = {"token_ids": rng.integers(1, VOCABULARY, (ROWS, LENGTH)), "segment_ids": np.zeros((ROWS, LENGTH), "int32"),
         "padding_mask": np.ones((ROWS, LENGTH), "int32")}
    return x, keras.utils.to_categorical(rng.integers(0, 2, ROWS), 2)


def compiled(model, method=None, loss_function=None):
    configure_train_step(model, 1, method, loss_function)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    return model


def loss_with(model, perturbation, x, y, delta=None):
    with tf.GradientTape() as tape:
        predictions, embedded = perturbation.forward(model, x, tape, delta)
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)(y, predictions)
    return float(loss), tape.gradient(loss, embedded)


def test_perturbation_hook_is_identity_until_set_and_raises_the_loss_along_the_gradient():
    model = tiny_classifier()
    x, y = batch()
    before = model(x).numpy()
    perturbation = EmbeddingPerturbation(token_embedding(model))
    np.testing.assert_allclose(model(x).numpy(), before, atol=1e-6)
    clean, gradient = loss_with(model, perturbation, x, y)
    norm = tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=[1, 2], keepdims=True))
    uphill, _ = loss_with(model, perturbation, x, y, 0.5 * gradient / norm)
    downhill, _ = loss_with(model, perturbation, x, y, -0.5 * gradient / norm)
    assert downhill < clean < uphill
    np.testing.assert_allclose(model(x).numpy(), before, atol=1e-6)  # nothing left behind


def test_fgm_step_applies_clean_plus_adversarial_gradients():
    x, y = batch()
    plain = compiled(tiny_classifier())
    plain.train_on_batch(x, y)
    fgm_model = tiny_classifier()
    start = [w.numpy() for w in fgm_model.trainable_weights]
    # The expected update, from the hook by hand: g_clean + g at epsilon · unit(dL/de).
    probe = EmbeddingPerturbation(token_embedding(fgm_model))
    _, gradient = loss_with(fgm_model, probe, x, y)
    delta = 1.0 * gradient / tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=[1, 2], keepdims=True))
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        clean_loss = loss_fn(y, fgm_model(x, training=True))
    clean = tape.gradient(clean_loss, fgm_model.trainable_weights)
    with tf.GradientTape() as tape:
        predictions, _ = probe.forward(fgm_model, x, tape, delta)
        adversarial_loss = loss_fn(y, predictions)
    adversarial = tape.gradient(adversarial_loss, fgm_model.trainable_weights)
    expected = [w - 0.1 * (tf.convert_to_tensor(c) + tf.convert_to_tensor(a))
                for w, c, a in zip(start, clean, adversarial)]

    compiled(fgm_model, make_gradient_method(AdversarialConfig(method="fgm", epsilon=1.0), fgm_model))
    fgm_model.train_on_batch(x, y)
    for got, want in zip(fgm_model.trainable_weights, expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=2e-5)
    differs = max(np.abs(a.numpy() - b.numpy()).max() for a, b in zip(plain.trainable_weights, fgm_model.trainable_weights))
    assert differs > 1e-4  # the adversarial pass did change the update


def test_pgd_trains_with_accumulation_and_frozen_embeddings():
    model = tiny_classifier()
    token_embedding(model).trainable = False  # the perturbation must still get its gradient
    x, y = batch()
    method = make_gradient_method(AdversarialConfig(method="pgd", epsilon=0.05, steps=3, step_size=0.02), model)
    configure_train_step(model, 2, method)
    model.compile(optimizer=keras.optimizers.SGD(0.02), loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    start = [w.numpy() for w in model.trainable_weights]
    losses = [float(model.train_on_batch(x, y)) for _ in range(5)]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert max(np.abs(a - b.numpy()).max() for a, b in zip(start, model.trainable_weights)) > 1e-4


def test_adversarial_config_is_checked():
    with pytest.raises(ConfigError, match="adversarial.method"):
        load_config(None, ["training.adversarial.method=freelb"])
    with pytest.raises(ConfigError, match="epsilon"):
        load_config(None, ["training.adversarial.method=fgm", "training.adversarial.epsilon=0"])


def test_soft_target_loss_is_the_kl_divergence_at_the_temperature():
    task = ClassificationTask({}, DataConfig())
    teacher, student = np.array([[2.0, 0.0, -1.0]]), np.array([[0.5, 0.5, 0.0]])
    p = tf.nn.softmax(teacher / 2.0).numpy()
    q = tf.nn.softmax(student / 2.0).numpy()
    expected = float(np.sum(p * np.log(p / q)))
    assert float(task.soft_target_loss(tf.constant(teacher), tf.constant(student), 2.0)) == pytest.approx(expected, rel=1e-5)
    assert float(task.soft_target_loss(tf.constant(teacher), tf.constant(teacher), 2.0)) == pytest.approx(0.0, abs=1e-6)


def test_keep_lower_layers_is_the_original_cut_after_n_layers():
    original = [layer for layer in tiny_classifier(num_layers=3).layers if hasattr(layer, "transformer_layers")][0]
    smaller = keep_lower_layers(original, 2)
    assert len(smaller.transformer_layers) == 2
    x, _ = batch()
    cut = keras.Model(original.input, original.get_layer("transformer_layer_1").output)
    np.testing.assert_allclose(smaller(x)["sequence_output"].numpy(), cut(x).numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="between 1 and"):
        keep_lower_layers(original, 4)


@pytest.fixture(scope="module")
def teacher_and_files(tmp_path_factory):
    from tfft.commands.train import train_and_export

    root = tmp_path_factory.mktemp("distillation")
    rows = sentiment_rows(96, 1)
    flipped = [(text, "negative" if label == "positive" else "positive") for text, label in rows]
    files = {"train": write_csv(root / "data" / "train.csv", ["text", "label"], rows),
             "flipped": write_csv(root / "data" / "flipped.csv", ["text", "label"], flipped),
             "test": write_csv(root / "data" / "test.csv", ["text", "label"], sentiment_rows(24, 2))}
    teacher = train_and_export(tiny_config(root, files, name="teacher", **{"model.backbone": "scratch:tiny",
                                                                "export.enabled": False}), verbose=0)
    return root, files, teacher


def test_distilled_student_follows_the_teacher_not_the_labels(teacher_and_files):
    """Trained on flipped labels, a student with alpha=1 still learns the teacher's answers."""
    from tfft.commands.train import train_and_export

    root, files, teacher = teacher_and_files
    assert teacher.metrics["test"]["accuracy"] >= 0.9
    common = {"data.train": str(files["flipped"]), "model.num_layers": 1, "export.enabled": False,
              "training.distillation.teacher": str(teacher.run_dir), "training.distillation.temperature": 1.0,
              "training.epochs": 6}
    student = train_and_export(tiny_config(root, files, name="student", **common, **{"training.distillation.alpha": 1.0}),
                    verbose=0)
    labels_only = train_and_export(tiny_config(root, files, name="labels-only", **common,
                                    **{"training.distillation.alpha": 0.0}), verbose=0)
    assert student.metrics["test"]["accuracy"] >= 0.8
    assert labels_only.metrics["test"]["accuracy"] <= 0.2  # learned the flipped labels
    backbone = json.loads((student.run_dir / "backbone.json").read_text())
    assert backbone["config"]["num_layers"] == 1


def test_distillation_refuses_a_teacher_of_another_task(teacher_and_files, tmp_path):
    from tfft.commands.train import train_and_export

    _, files, teacher = teacher_and_files
    fake = tmp_path / "ner-teacher"
    fake.mkdir()
    (fake / "model.weights.h5").write_bytes((teacher.run_dir / "model.weights.h5").read_bytes())
    config = (teacher.run_dir / "config.yaml").read_text()
    (fake / "config.yaml").write_text(config.replace("task: classification", "task: token_classification"))
    with pytest.raises(ValueError, match="'token_classification' run"):
        train_and_export(tiny_config(tmp_path, files, name="bad", **{"training.distillation.teacher": str(fake)}), verbose=0)


def test_adversarial_run_trains_and_exports_a_plain_model(teacher_and_files):
    from tfft.export.loaded import LoadedExport
    from tfft.commands.train import train_and_export

    root, files, _ = teacher_and_files
    result = train_and_export(tiny_config(root, files, name="fgm", **{"training.adversarial.method": "fgm",
                                                           "training.adversarial.epsilon": 0.005,
                                                           "training.epochs": 6}), verbose=0)
    assert result.metrics["test"]["accuracy"] >= 0.9
    served = LoadedExport(result.export_path).predict({"text": ["the movie was great"]})
    assert served["label"][0] == b"positive"


def test_perturbations_are_seeded_and_change_about_the_rate_of_words():
    texts = ["the acting was wonderful and the story was great"] * 50
    typos = perturb_texts(texts, "typo", rate=0.3, seed=3)
    assert typos == perturb_texts(texts, "typo", rate=0.3, seed=3)
    changed = np.mean([a != b for text, typo in zip(texts, typos) for a, b in zip(text.split(), typo.split())])
    assert 0.15 < changed < 0.45
    synonyms = perturb_texts(["the movie was great"], "synonym", rate=1.0, seed=0)[0]
    assert synonyms != "the movie was great" and len(synonyms.split()) >= 4
    with pytest.raises(ValueError, match="perturbation must be"):
        perturb_texts(texts, "shuffle")
    from tfft.tasks.token_classification.span_examples import SpanExamples
    from tfft.evaluation.robustness import perturb_examples

    with pytest.raises(ValueError, match="text classification examples only"):
        perturb_examples(SpanExamples.__new__(SpanExamples), "typo")
