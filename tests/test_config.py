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
                     "prompt_classification", "embedding",
                     "generation", "masked_lm", "causal_lm"}
    assert Path(load_config(DEFAULT_CONFIG).data.test).is_file()


@pytest.mark.parametrize("override, problem", [
    ("training.epochs=abc", "training.epochs='abc' is not allowed: expected an int"),
    ("training.batch_size=-3", "training.batch_size=-3 is not allowed: expected at least 1"),
    ("training.learning_rate=fast", "training.learning_rate='fast' is not allowed: expected a float"),
    ("training.clip_norm=[1]", "training.clip_norm=[1] is not allowed: expected a float or null"),
    ("training.evaluate_before=3", "training.evaluate_before=3 is not allowed: expected a bool"),
    ("training.decay=cubic", "training.decay='cubic' is not allowed: expected one of linear, cosine, constant"),
    ("model.freeze=head", "model.freeze='head' is not allowed: expected one of none, backbone, top_k, embeddings"),
    ("training.class_weights=auto", "training.class_weights='auto' is not allowed: expected one of null, balanced"),
    ("peft.train_also=bias", "peft.train_also='bias' is not allowed: expected a list of strings"),
    ("data.validation_fraction=1.5",
     "data.validation_fraction=1.5 is not allowed: expected more than 0 and less than 1 (or a data.validation file)"),
    ("model.num_layers=0", "model.num_layers=0 is not allowed: expected at least 1"),
])
def test_a_bad_value_is_named_when_the_config_loads(override, problem):
    with pytest.raises(ConfigError) as error:
        load_config(None, [override])
    assert str(error.value) == f"<defaults> + --set: {problem}"


@pytest.mark.parametrize("overrides, problem", [
    (["data.folds=3", "data.fold=3"], "data.fold=3 is not allowed: expected 0 to data.folds - 1 (2)"),
    (["peft.method=adalora", "peft.rank=4", "peft.target_rank=6"],
     "peft.target_rank=6 is not allowed: expected 1 to peft.rank (4)"),
    (["peft.method=lora", "model.freeze=backbone"],
     "peft.method=lora freezes the backbone itself; set model.freeze=none (got 'backbone')"),
])
def test_fields_that_depend_on_each_other_are_checked_when_the_config_loads(overrides, problem):
    with pytest.raises(ConfigError) as error:
        load_config(None, overrides)
    assert str(error.value) == f"<defaults> + --set: {problem}"


def test_values_of_the_right_type_load():
    config = load_config(None, ["training.epochs=2", "training.learning_rate=1", "training.clip_norm=null",
                                "data.train=[a.txt, b.txt]"])
    assert (config.training.epochs, config.training.learning_rate, config.training.clip_norm) == (2, 1, None)
    assert config.data.train == ["a.txt", "b.txt"]


def test_a_learning_rate_written_without_a_dot_loads_as_a_number(tmp_path):
    # YAML 1.1 (PyYAML) reads 3e-5 as text; it is how most recipes write a learning rate.
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("training:\n  learning_rate: 3e-5\n  weight_decay: 1e-2\n")
    config = load_config(recipe, ["training.warmup_ratio=5e-2"])
    assert (config.training.learning_rate, config.training.weight_decay, config.training.warmup_ratio) == (
        3e-5, 1e-2, 5e-2)
    with pytest.raises(ConfigError, match=r"training\.learning_rate='nan' is not allowed"):
        load_config(recipe, ["training.learning_rate=nan"])


@pytest.mark.parametrize("override", ["training.epochs=abc", "training.batch_size=-3"])
def test_train_with_a_bad_value_exits_2_in_one_line_before_reading_data(tmp_path, monkeypatch, capsys, override):
    from tfft.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["train", "--set", override]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfft train: error: ") and override.split("=")[0] in lines[0]
    assert not (tmp_path / "runs").exists()  # no run folder: nothing was read or written


def test_a_run_folder_that_never_trained_starts_afresh_with_the_new_config(tmp_path):
    from tfft.run_folder import RunFolder

    first = load_config(None, [f"output_dir={tmp_path}", "training.batch_size=8"])
    folder, _, resumed = RunFolder.prepare(first)
    assert not resumed
    folder.metrics_before.write_text("{}")  # evaluated before training, then stopped: no backup yet
    fixed = load_config(None, [f"output_dir={tmp_path}", "training.batch_size=4"])
    again, config, resumed = RunFolder.prepare(fixed)
    assert again.path == folder.path and not resumed and config.training.batch_size == 4
    assert load_config(folder.config).training.batch_size == 4 and not folder.metrics_before.exists()


def test_resuming_a_trained_run_names_the_fields_it_cannot_take(tmp_path):
    from tfft.run_folder import RunFolder

    folder, _, _ = RunFolder.prepare(load_config(None, [f"output_dir={tmp_path}", "training.epochs=1"]))
    folder.backup.mkdir()  # it trained some steps
    with pytest.raises(ConfigError, match=r"training\.learning_rate: 5e-05 saved, 0\.001 now.*--set name="):
        RunFolder.prepare(load_config(None, [f"output_dir={tmp_path}", "training.learning_rate=0.001"]))
    assert load_config(folder.config).training.learning_rate == 5e-05  # the saved config is kept
    _, config, resumed = RunFolder.prepare(load_config(None, [f"output_dir={tmp_path}", "training.epochs=3"]))
    assert resumed and config.training.epochs == 3 and load_config(folder.config).training.epochs == 3
