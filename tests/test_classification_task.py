import numpy as np
import pytest
import tensorflow as tf

from tfft.config import DataConfig, TrainingConfig
from tfft.data.readers import TextExamples
from tfft.tasks import make_task


def examples(labels):
    return TextExamples("mem.csv", [f"t{i}" for i in range(len(labels))], None, list(labels),
                        list(range(2, len(labels) + 2)), "label")


def test_targets_are_one_hot_and_balanced_weights_invert_frequency():
    task = make_task("classification", {}, DataConfig())
    train = examples(["a", "a", "a", "b"])
    task.fit(train)
    targets = task.targets(train)
    assert targets.tolist() == [[1, 0], [1, 0], [1, 0], [0, 1]]
    weights = task.sample_weights(targets, TrainingConfig(class_weights="balanced"))
    assert np.allclose(weights, [4 / 6, 4 / 6, 4 / 6, 2.0])
    assert task.sample_weights(targets, TrainingConfig()) is None
    with pytest.raises(ValueError, match="balanced"):
        task.sample_weights(targets, TrainingConfig(class_weights="inverse"))


def test_label_smoothing_reaches_the_loss():
    task = make_task("classification", {}, DataConfig())
    loss = task.loss(TrainingConfig(label_smoothing=0.1))
    plain = task.loss(TrainingConfig())
    y_true, logits = np.array([[1.0, 0.0]]), np.array([[5.0, -5.0]])
    assert float(loss(y_true, logits)) > float(plain(y_true, logits)) + 0.1


def test_serving_outputs_map_ids_to_names():
    task = make_task("classification", {}, DataConfig())
    task.fit(examples(["neg", "pos"]))
    outputs = task.serving_outputs(tf.constant([[2.0, -1.0], [-3.0, 1.0]]))
    assert outputs["label"].numpy().tolist() == [b"neg", b"pos"]
    assert outputs["label_id"].numpy().tolist() == [0, 1]
    assert np.allclose(outputs["probabilities"].numpy().sum(-1), 1.0)


def test_multi_label_accepts_delimited_strings_and_json_lists():
    task = make_task("classification", {"multi_label": True}, DataConfig(label_delimiter=";"))
    train = examples(["food;staff", ["delivery"], "food"])
    task.fit(train)
    assert task.vocabulary.names == ["delivery", "food", "staff"]
    assert task.targets(train).tolist() == [[0, 1, 1], [1, 0, 0], [0, 1, 0]]
    outputs = task.serving_outputs(tf.constant([[-2.0, 3.0, 1.0]]))
    assert outputs["label"].numpy().tolist() == [b"food;staff"]


def test_unknown_option_and_single_label_data():
    with pytest.raises(ValueError, match="unknown option"):
        make_task("classification", {"multilabel": True}, DataConfig())
    task = make_task("classification", {}, DataConfig())
    with pytest.raises(ValueError, match="at least two labels"):
        task.fit(examples(["only", "only"]))
    with pytest.raises(ValueError, match="unknown task"):
        make_task("summarization", {}, DataConfig())
