"""tfft tune: KerasTuner trials are tfft runs; the best one comes back as a ready recipe."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import tensorboard_tags, tiny_config
from tfft.config import ConfigError, load_config
from tfft.commands.tune import EPOCHS_KEY, tune

SPACE = {"training.learning_rate": {"type": "choice", "values": [1e-6, 3e-3]},
         "model.dropout": {"type": "float", "min": 0.0, "max": 0.2, "step": 0.1}}


def test_random_search_writes_the_best_trial_as_a_recipe(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files, **{"training.epochs": 2})
    result = tune(config, "random", trials=3, space=SPACE)
    summary = json.loads((result.folder / "tuning.json").read_text())
    scores = [row["score"] for row in summary["trials"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True) and summary["metric"] == "accuracy"
    assert result.best_score == scores[0]
    best = load_config(result.best_config)  # a valid recipe for tfft train
    assert best.name == "tiny" and best.export.enabled and best.training.epochs == 2
    assert best.training.learning_rate == result.best_values["training.learning_rate"]
    assert best.model.dropout == pytest.approx(result.best_values["model.dropout"])
    # Each trial is a full run whose hparams summary lands on TensorBoard's HParams dashboard.
    trial_runs = sorted((result.folder / "trials").iterdir())
    assert len(trial_runs) == 3
    assert all((run / "metrics.json").is_file() for run in trial_runs)
    assert all("_hparams_/session_start_info" in tensorboard_tags(run / "logs") for run in trial_runs)
    # Asked again for one more trial, the search resumes: three old trials kept, one new run.
    again = tune(config, "random", trials=4, space=SPACE)
    assert len(again.trials) == 4 and len(list((result.folder / "trials").iterdir())) == 4


def test_hyperband_sets_the_epochs_of_each_trial(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files)
    space = {**SPACE, EPOCHS_KEY: {"type": "int", "min": 1, "max": 2}}
    result = tune(config, "hyperband", space=space)
    epochs = {row["values"][EPOCHS_KEY] for row in result.trials}
    assert epochs <= {1, 2} and 2 in epochs
    for run in (result.folder / "trials").iterdir():
        assert yaml.safe_load((run / "config.yaml").read_text())["training"]["epochs"] in (1, 2)


def test_shipped_search_spaces_name_real_config_fields():
    from pathlib import Path

    import keras_tuner

    from tfft.config import apply_overrides, config_from_dict, config_to_dict
    from tfft.commands.tune import declare, read_space

    spaces = sorted((Path(__file__).parent.parent / "configs" / "search_spaces").glob("*.yaml"))
    assert spaces
    for path in spaces:
        hp = keras_tuner.HyperParameters()
        values = {name: declare(hp, name, spec) for name, spec in read_space(path).items()}
        overrides = [f"{name}={value}" for name, value in values.items()]
        config_from_dict(apply_overrides(config_to_dict(load_config(None)), overrides), str(path))


def test_bad_space_and_bad_trial_config_stop_the_search(tmp_path, sentiment_files):
    config = tiny_config(tmp_path, sentiment_files)
    with pytest.raises(ConfigError, match="type must be"):
        tune(config, "random", trials=1, space={"training.learning_rate": {"type": "log"}})
    with pytest.raises(Exception, match="unknown key"):
        tune(config, "random", trials=1, space={"training.learnin_rate": {"type": "choice", "values": [1e-3]}})
