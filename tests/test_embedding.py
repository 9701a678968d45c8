"""The embedding task: packed parts, its losses, whole-batch negatives under accumulation, reading."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import write_csv
from tfft.backbones import load_backbone
from tfft.config import DataConfig, ModelConfig, load_config
from tfft.data.errors import DataError
from tfft.tasks.embedding.pair_examples import PairExamples
from tfft.tasks.embedding.ranking_loss import InBatchRankingLoss, positive_ids
from tfft.tasks.embedding.similarity_loss import CoSENTLoss
from tfft.tasks.embedding.task import EMBEDDER, EmbeddingTask

EXAMPLE = EmbeddingTask.example_config()


def unit(rows) -> tf.Tensor:
    return tf.math.l2_normalize(tf.constant(rows, tf.float32), axis=-1)


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    loaded = load_backbone("scratch:tiny", 64)
    return loaded


def test_each_packed_part_embeds_as_if_it_were_encoded_alone(tiny):
    task = EmbeddingTask({"negative_columns": ["wrong"]}, DataConfig(text_pair_column="answer"))
    encoder = task.make_encoder(tiny.tokenizer, 32)
    model = task.build_model(tiny.backbone, ModelConfig(), encoder)
    texts = [["where is my parcel", "it ships in three days time", "we take paypal"],
             ["reset my password", "use the link", "our shop opens at nine in the morning every day"]]
    rows = [list(column) for column in zip(*texts)]
    examples = PairExamples("rows", rows[0], rows[1], None, [2, 3], negatives=[rows[2]])
    split = task.encode(encoder, examples)
    features = split.token_ids.to_tensor(0)
    inputs = {"token_ids": features, "segment_ids": split.segment_ids.to_tensor(0),
              "padding_mask": tf.ones_like(split.token_ids).to_tensor(0)}
    packed = model(inputs, training=False).numpy()  # [rows, parts, dim]
    embedder = model.get_layer(EMBEDDER)
    for row, parts in enumerate(texts):
        alone = embedder(encoder.serving_inputs(tf.constant(parts)), training=False).numpy()
        np.testing.assert_allclose(packed[row], alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(packed, axis=-1), 1.0, atol=1e-5)


def test_ranking_loss_is_the_cross_entropy_over_every_candidate_of_the_batch():
    vectors = tf.stack([unit([[1, 0], [2, 3], [1, 1]]), unit([[0, 1], [1, -1], [0, 1]])], axis=0)
    scale = 5.0
    anchors, positives, negatives = (vectors[:, i].numpy() for i in range(3))
    candidates = np.concatenate([positives, negatives])
    expected = []
    for row in range(2):
        logits = scale * candidates @ anchors[row]
        expected.append(-logits[row] + math.log(np.exp(logits).sum()))
    loss = InBatchRankingLoss(scale)(tf.constant([0.0, 1.0]), vectors)
    assert float(loss) == pytest.approx(np.mean(expected), rel=1e-5)
    backwards = [-(scale * anchors @ positives[row])[row] + math.log(np.exp(scale * anchors @ positives[row]).sum())
                 for row in range(2)]
    symmetric = InBatchRankingLoss(scale, symmetric=True)(tf.constant([0.0, 1.0]), vectors)
    assert float(symmetric) == pytest.approx((np.mean(expected) + np.mean(backwards)) / 2, rel=1e-5)


def test_rows_that_share_a_positive_are_not_each_others_negatives():
    """Two questions of one answer in a batch: each ranks its own positive against the other rows' only."""
    anchors = unit([[1, 0], [0.9, 0.3], [0, 1]])
    positives = unit([[1, 0.2], [1, 0.2], [0.1, 1]])  # rows 0 and 1: the same answer
    vectors = tf.stack([anchors, positives], axis=1)
    assert positive_ids(["answer a", "answer a", "answer b"]).tolist() == [0.0, 0.0, 1.0]
    scale, a, p = 5.0, anchors.numpy(), positives.numpy()
    expected = []
    for row, kept in [(0, [0, 2]), (1, [1, 2]), (2, [0, 1, 2])]:
        logits = scale * p[kept] @ a[row]
        expected.append(-logits[kept.index(row)] + math.log(np.exp(logits).sum()))
    loss = InBatchRankingLoss(scale)(tf.constant(positive_ids(["answer a", "answer a", "answer b"])), vectors)
    assert float(loss) == pytest.approx(np.mean(expected), rel=1e-5)
    unmasked = InBatchRankingLoss(scale)(tf.constant([0.0, 1.0, 2.0]), vectors)
    assert float(unmasked) > float(loss)


def test_cosent_penalises_only_pairs_ordered_against_their_scores():
    first = unit([[1, 0], [1, 0], [1, 0]])
    second = unit([[1, 0.1], [1, 1], [0, 1]])  # cosines fall row by row
    vectors = tf.stack([first, second], axis=1)
    cosines = np.sum(first.numpy() * second.numpy(), axis=-1)
    agree = CoSENTLoss(20.0)(tf.constant([0.9, 0.5, 0.1]), vectors)
    reverse = CoSENTLoss(20.0)(tf.constant([0.1, 0.5, 0.9]), vectors)
    terms = [20.0 * (cosines[j] - cosines[i]) for i in range(3) for j in range(3) if i > j]  # score_i > score_j
    assert float(reverse) == pytest.approx(math.log(1 + np.exp(terms).sum()), rel=1e-5)
    assert float(agree) < 0.01 < float(reverse)


def one_step(tmp_path, tiny_preset, **overrides):
    from tfft.commands.train import train_and_export

    values = {"model.backbone": tiny_preset, "output_dir": tmp_path / "runs", "export.enabled": "false",
              "training.epochs": 1, "training.batch_size": 16, "data.train_sample": 16,
              "data.validation": str(EXAMPLE.parent / "test.csv"), "training.evaluate_before": "false",
              "training.learning_rate": 1e-2, "training.warmup_ratio": 0.0, "model.dropout": 0.0, "model.max_length": 32, **overrides}
    config = load_config(EXAMPLE, [f"{key}={value}" for key, value in values.items()])
    keras.utils.set_random_seed(0)
    result = train_and_export(config, verbose=0)
    return result


def test_accumulated_micro_batches_keep_the_whole_batch_as_negatives(tmp_path, dropout_free_preset):
    whole = one_step(tmp_path / "whole", dropout_free_preset)
    micro = one_step(tmp_path / "micro", dropout_free_preset, **{"training.gradient_accumulation_steps": 4})
    # One step on 16 rows either way: the same loss (every anchor against 16 candidates) and update.
    assert micro.history["loss"][0] == pytest.approx(whole.history["loss"][0], rel=1e-5)
    assert micro.history["val_mrr@10"][0] == pytest.approx(whole.history["val_mrr@10"][0], abs=1e-6)


def test_bad_rows_and_options_are_clear_errors(tmp_path):
    path = write_csv(tmp_path / "pairs.csv", ["q", "a", "score"], [["hi", "hello", "0.9"], ["bye", "ciao", "lots"]])
    with pytest.raises(DataError, match="data.text_pair_column"):
        EmbeddingTask({}, DataConfig(text_column="q")).read(str(path))
    scored = EmbeddingTask({"loss": "cosent"}, DataConfig(text_column="q", text_pair_column="a", label_column="score"))
    with pytest.raises(DataError, match=r"pairs.csv.*line 3.*score.*'lots' is not a number"):
        scored.fit(scored.read(str(path)))
    with pytest.raises(ValueError, match="task_options.loss must be one of ranking, cosent, cosine, got 'triplet'"):
        EmbeddingTask({"loss": "triplet"}, DataConfig(text_pair_column="a"))
    with pytest.raises(ValueError, match="negative_columns needs loss: ranking"):
        EmbeddingTask({"loss": "cosine", "negative_columns": ["n"]}, DataConfig(text_pair_column="a"))


def test_hard_negatives_stay_with_their_rows(tmp_path):
    path = write_csv(tmp_path / "pairs.csv", ["q", "a", "n"], [["q1", "a1", "n1"], ["q2", "a2", ""], ["q3", "a3", "n3"]])
    data = DataConfig(text_column="q", text_pair_column="a", skip_bad_rows=True)
    examples = EmbeddingTask({"negative_columns": ["n"]}, data).read(str(path))
    assert (examples.texts, examples.pairs, examples.negatives) == (["q1", "q3"], ["a1", "a3"], [["n1", "n3"]])
    assert examples.subset([1]).negatives == [["n3"]]


def test_lora_in_bfloat16_trains_only_the_adapters_and_serves_float32_unit_vectors(tmp_path, dropout_free_preset):
    from tfft.commands.train import train_and_export
    from tfft.export.loaded import LoadedExport

    values = {"model.backbone": dropout_free_preset, "output_dir": tmp_path / "runs", "export.dir": tmp_path / "models",
              "training.epochs": 6, "training.batch_size": 16, "training.learning_rate": 2e-2,
              "training.warmup_ratio": 0.0, "training.mixed_precision": "mixed_bfloat16", "model.max_length": 32,
              "peft.method": "lora", "peft.rank": 4, "peft.targets": "[query, value]"}
    config = load_config(EXAMPLE, [f"{key}={value}" for key, value in values.items()])
    keras.utils.set_random_seed(0)
    result = train_and_export(config, verbose=0)
    assert result.metrics["training"]["trainable_percent"] < 10
    losses = result.history["loss"]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])) and losses[-1] < losses[0] - 0.1, losses
    served = LoadedExport(result.export_path).predict({"text": ["where is my parcel", "how do I reset my password"]})
    assert served["embedding"].dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(served["embedding"], axis=-1), 1.0, atol=1e-5)
