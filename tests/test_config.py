import pytest

from tfft.config import ConfigError, RunConfig, load_config, save_config


def test_yaml_round_trip_and_overrides(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("name: intents\nmodel:\n  max_length: 64\ntraining:\n  epochs: 4\n")
    config = load_config(path, ["training.epochs=2", "data.validation=null", "task_options.multi_label=true"])
    assert config.name == "intents"
    assert config.model.max_length == 64
    assert config.model.backbone == "minilm-l6"  # untouched fields keep defaults
    assert config.training.epochs == 2 and isinstance(config.training.epochs, int)
    assert config.data.validation is None
    assert config.task_options == {"multi_label": True}
    save_config(config, tmp_path / "saved.yaml")
    assert load_config(tmp_path / "saved.yaml") == config


def test_unknown_key_names_the_path(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("training:\n  epoch: 3\n")
    with pytest.raises(ConfigError, match=r"training\.epoch.*expected one of.*training\.epochs"):
        load_config(path)


def test_bad_override_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="section.field=value"):
        load_config(None, ["training.epochs"])
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_defaults_point_at_packaged_sample_data():
    config = RunConfig()
    assert config.data.train.endswith("train.csv")
    with open(config.data.train, encoding="utf-8") as handle:
        assert handle.readline().strip() == "text,label"


def test_relative_data_paths_resolve_next_to_the_config_file(tmp_path):
    (tmp_path / "train.csv").write_text("text,label\na,b\n")
    path = tmp_path / "run.yaml"
    path.write_text("data:\n  train: train.csv\n  validation: not/here.csv\n  test: tfds:glue/sst2:test\n")
    config = load_config(path)
    assert config.data.train == str((tmp_path / "train.csv").resolve())
    assert config.data.validation == "not/here.csv"  # left relative to the working directory
    assert config.data.test == "tfds:glue/sst2:test"


def test_shipped_recipes_parse():
    from pathlib import Path

    from tfft.config import DEFAULT_CONFIG

    from tfft.pretraining.registry import OBJECTIVES, make_objective
    from tfft.tasks import TASKS, make_task

    recipes = sorted((Path(__file__).parent.parent / "configs").glob("*.yaml")) + [DEFAULT_CONFIG]
    tasks = set()
    for recipe in recipes:
        config = load_config(recipe)
        if config.task in OBJECTIVES:  # tfft pretrain recipes
            tasks.add(make_objective(config.task, config.task_options).name)
            continue
        make_task(config.task, config.task_options, config.data)  # options are valid for the task
        tasks.add(TASKS[config.task].name)
    assert tasks == {"classification", "token_classification", "question_answering", "relation_extraction",
                     "prompt_classification",
                     "generation", "masked_lm", "causal_lm"}
    assert Path(load_config(DEFAULT_CONFIG).data.test).is_file()
