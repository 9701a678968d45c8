"""tfft ensemble: members share the held-out split; the export averages their probabilities in pure TF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from tfft.commands.ensemble import ensemble_model, member_config, train_ensemble
from tfft.export.loaded import LoadedExport
from tfft.training.trained_model import load_trained_model


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    from conftest import sentiment_rows, write_csv

    root = tmp_path_factory.mktemp("ensemble")
    files = {"train": write_csv(root / "data" / "train.csv", ["text", "label"], sentiment_rows(96, 1)),
             "test": write_csv(root / "data" / "test.csv", ["text", "label"], sentiment_rows(24, 2))}
    config = tiny_config(root, files, **{"name": "ens", "training.epochs": 2})
    return train_ensemble(config, members=2, verbose=0)


def test_members_differ_in_seed_but_share_the_split(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files)
    first, second = member_config(config, 0), member_config(config, 1)
    assert (first.name, second.name) == ("tiny-m0", "tiny-m1")
    assert second.training.seed == first.training.seed + 1
    assert first.data.split_seed == second.data.split_seed == config.training.seed
    assert not first.export.enabled


def test_export_serves_the_mean_of_member_probabilities(ensemble):
    texts = ["the movie was great", "the meal was awful", "the book was superb"]
    members = [load_trained_model(d) for d in ensemble.run_dirs]
    expected = np.mean([tf.nn.softmax(m.model(m.encoder.model_inputs(*m.encoder.encode(tf.constant(texts)))))
                        for m in members], axis=0)
    served = LoadedExport(ensemble.export_path).predict({"text": texts})
    np.testing.assert_allclose(served["probabilities"], expected, atol=1e-5)
    assert list(LoadedExport(ensemble.export_path).module.signatures) == ["serving_default"]
    script = Path(__file__).parent / "pure_tf_predict.py"
    output = json.loads(subprocess.run([sys.executable, str(script), str(ensemble.export_path), json.dumps(texts)],
                                       capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    assert output["loaded"] == []  # only tensorflow and tensorflow_text
    np.testing.assert_allclose(output["probabilities"], expected, atol=1e-5)


def test_report_has_ensemble_and_member_spread(ensemble):
    metrics = json.loads((ensemble.run_dirs[0] / "ensemble.json").read_text())
    assert len(metrics["members"]) == 2 and 0.0 <= metrics["ensemble"]["accuracy"] <= 1.0
    accuracies = [m["accuracy"] for m in metrics["members"]]
    assert metrics["summary"]["accuracy"]["mean"] == pytest.approx(np.mean(accuracies))
    assert metrics["summary"]["accuracy"]["std"] == pytest.approx(np.std(accuracies))


def test_member_average_rebuilds_from_its_config():
    from tfft.layers.member_average import MemberAverage
    from tfft.tasks.classification.mean_probability import MeanProbability

    def member(seed):
        inputs = {"token_ids": keras.Input(shape=(4,), name="token_ids")}
        logits = keras.layers.Dense(3, kernel_initializer=keras.initializers.RandomNormal(seed=seed))(
            inputs["token_ids"])
        return keras.Model(inputs, logits)

    layer = MemberAverage([member(1), member(2)], MeanProbability(multi_label=False), name="combine_members")
    x = {"token_ids": np.random.default_rng(0).normal(size=(2, 4)).astype("float32")}
    rebuilt = MemberAverage.from_config(layer.get_config())
    for original, copy in zip(layer.members, rebuilt.members):
        copy.set_weights(original.get_weights())
    assert rebuilt.name == "combine_members" and isinstance(rebuilt.combine, MeanProbability)
    np.testing.assert_allclose(rebuilt(x), layer(x), atol=1e-6)
    probabilities = np.mean([tf.nn.softmax(m(x)) for m in layer.members], axis=0)
    np.testing.assert_allclose(tf.nn.softmax(layer(x)), probabilities, atol=1e-6)


def test_tasks_without_a_combination_refuse(tmp_path):
    from tfft.tasks import make_task
    from tfft.config import DataConfig

    task = make_task("question_answering", {}, DataConfig())
    with pytest.raises(ValueError, match="ensembles"):
        task.member_combiner()


def test_ensemble_model_is_one_functional_model(ensemble):
    members = [load_trained_model(d) for d in ensemble.run_dirs]
    model = ensemble_model(members)
    assert [layer.name for layer in model.layers][-1] == "combine_members"


def test_fold_split_partitions_the_rows_by_class():
    from tfft.data.readers import TextExamples
    from tfft.data.partition import fold_split

    labels = ["a"] * 12 + ["b"] * 8
    examples = TextExamples("x.csv", [f"t{i}" for i in range(20)], None, labels, list(range(2, 22)))
    validations = [fold_split(examples, 4, fold, seed=3, strata=labels)[1] for fold in range(4)]
    assert sorted(t for v in validations for t in v.texts) == sorted(examples.texts)
    assert all(v.labels.count("a") == 3 and v.labels.count("b") == 2 for v in validations)
    with pytest.raises(ValueError, match="data.fold"):
        fold_split(examples, 4, 4, seed=3)


def test_cross_validation_members_validate_on_their_own_fold(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files, **{"name": "cv", "training.epochs": 1,
                                                       "export.enabled": False})
    result = train_ensemble(config, members=2, verbose=0, folds=True)
    assert result.metrics["cross_validation"] and result.metrics["ensemble"] is None  # no validation file
    assert [m["examples"] for m in result.metrics["members"]] == [48, 48]
    assert result.export_path is None
    assert set(result.metrics["summary"]) >= {"accuracy", "macro_f1"}
