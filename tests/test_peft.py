"""PEFT methods on tiny random backbones: what trains, what is saved, what is served."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import ner_sentences, sentiment_rows, tiny_overrides, write_conll, write_csv
from test_export import pure_tf_outputs
from tfft.backbones import load_backbone, scratch_backbone
from tfft.config import PEFT_METHODS, ConfigError, PeftConfig, load_config
from tfft.export.loaded import LoadedExport
from tfft.export.multi_adapter import export_adapters
from tfft.peft import adapter_variables, add_adapter, merge_active, using_adapter
from tfft.peft.adalora import budget_at
from tfft.peft.checkpoint import AdapterMismatchError, load_adapter
from tfft.peft.methods import METHODS
from tfft.training.trained_model import load_adapter_model, load_trained_model

TEXTS = ["the movie was great", "the hotel was awful", "the phone was superb"]
INPUTS = {"token_ids": np.array([[101, 2000, 2001, 2002, 102, 0]]), "segment_ids": np.zeros((1, 6), int),
          "padding_mask": np.array([[1, 1, 1, 1, 1, 0]])}
STARTS_AT_PRETRAINED = ("lora", "dora", "adalora", "houlsby", "pfeiffer", "bitfit")
LOW_RANK = ("lora", "dora", "adalora")


def tiny_backbone(seed=0):
    keras.utils.set_random_seed(seed)
    return load_backbone("scratch:tiny").backbone


def randomize(backbone, name="default"):
    """Non-zero adapter weights, as after training (B and λ start at zero)."""
    rng = np.random.default_rng(3)
    for variable in adapter_variables(backbone, name).values():
        if variable.name != "rank_mask":
            variable.assign(rng.normal(0, 0.1, variable.shape).astype("float32"))


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory) -> Path:
    """A tiny random BERT saved as a keras-hub preset: the 'same preset' a checkpoint reloads onto."""
    folder = tmp_path_factory.mktemp("preset") / "tiny-bert"
    loaded = load_backbone("scratch:tiny")
    loaded.backbone.save_to_preset(str(folder))
    loaded.tokenizer.save_to_preset(str(folder))
    return folder


@pytest.mark.parametrize("method", sorted(METHODS))
def test_only_the_method_trains_and_training_changes_only_it(method):
    backbone = tiny_backbone()
    before = backbone(INPUTS)["sequence_output"].numpy()
    add_adapter(backbone, PeftConfig(method=method, targets=["query", "value", "feedforward_intermediate_dense"]))
    trainable = {id(v) for v in backbone.trainable_weights}
    adapter = {id(v) for v in adapter_variables(backbone, "default").values() if v.name != "rank_mask"}
    if method == "bitfit":
        assert trainable and all(v.name in ("bias", "beta") for v in backbone.trainable_weights)
    else:
        assert trainable == adapter
    after = backbone(INPUTS)["sequence_output"].numpy()
    assert after.shape == before.shape
    if method in STARTS_AT_PRETRAINED:
        np.testing.assert_allclose(after, before, atol=1e-6)  # a fresh adapter is the identity

    frozen = {v.path: v.numpy().copy() for v in backbone.weights if not v.trainable}
    optimizer = keras.optimizers.Adam(1e-2)
    with tf.GradientTape() as tape:
        # A fixed projection: a sum of squares of layer-normed outputs would have no gradient.
        loss = tf.reduce_sum(backbone(INPUTS)["sequence_output"] * np.linspace(-1, 1, after.size).reshape(after.shape))
    optimizer.apply_gradients(zip(tape.gradient(loss, backbone.trainable_weights), backbone.trainable_weights))
    assert all(np.array_equal(v.numpy(), frozen[v.path]) for v in backbone.weights if v.path in frozen)
    assert np.abs(backbone(INPUTS)["sequence_output"].numpy() - after).max() > 1e-6


@pytest.mark.parametrize("kind,dropout", [("lora", 0.0), ("lora", 0.1), ("dora", 0.0), ("adalora", 0.0),
                                          ("adalora", 0.1)])
def test_merged_kernels_compute_what_the_adapter_computes(kind, dropout):
    backbone = tiny_backbone()
    add_adapter(backbone, PeftConfig(method=kind, dropout=dropout,
                                     targets=["query", "attention_output", "feedforward_intermediate_dense"]))
    randomize(backbone)
    unmerged = backbone(INPUTS)["sequence_output"].numpy()
    assert merge_active(backbone) == 6
    merged = backbone(INPUTS)["sequence_output"].numpy()
    assert np.abs(merged - unmerged).max() <= 1e-5


def test_unknown_targets_method_and_freeze_combination_are_named(tmp_path):
    with pytest.raises(ValueError, match="match no Dense/EinsumDense.*feedforward_output_dense"):
        add_adapter(tiny_backbone(), PeftConfig(method="lora", targets=["q_proj"]))
    with pytest.raises(ConfigError, match=r"peft\.targets='query' is not allowed: expected a list of strings"):
        load_config(None, ["peft.method=lora", "peft.targets=query"])
    with pytest.raises(ConfigError, match=r"peft\.method='ia3' is not allowed: expected one of none, lora"):
        load_config(None, ["peft.method=ia3"])
    files = {"train": write_csv(tmp_path / "train.csv", ["text", "label"], sentiment_rows(40)),
             "test": write_csv(tmp_path / "test.csv", ["text", "label"], sentiment_rows(8))}
    from tfft.commands.train import train_and_export
    with pytest.raises(ValueError, match="set model.freeze=none"):
        train_and_export(load_config(None, tiny_overrides(tmp_path, files, **{"peft.method": "lora", "model.freeze": "backbone"})))


def test_every_method_the_config_allows_has_a_builder():
    assert set(PEFT_METHODS) == {"none", *METHODS}


def test_adalora_budget_falls_cubically_to_the_target():
    schedule = [budget_at(step, 100, 96, 32) for step in range(100)]
    assert schedule[0] == schedule[9] == 96 and schedule[70] == schedule[99] == 32
    assert all(a >= b for a, b in zip(schedule, schedule[1:]))
    assert schedule[40] < 96 - (96 - 32) * 0.5  # cubic: most of the pruning happens early


def gpt_backbone():
    keras.utils.set_random_seed(0)
    return scratch_backbone("scratch-gpt2:tiny", 64, 24)


@pytest.mark.parametrize("method", ["prefix", "prompt", "lora", "houlsby"])
def test_decoder_cached_generation_agrees_with_full_forward(method):
    """Generation runs through the key/value cache; an adapter must act there the same way."""
    import keras_hub

    backbone = gpt_backbone()
    add_adapter(backbone, PeftConfig(method=method, targets=["query", "value"]))
    randomize(backbone)
    lm = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
    token_ids = np.array([[5, 9, 17, 33, 2, 8]])
    full = lm({"token_ids": token_ids, "padding_mask": np.ones_like(token_ids)}).numpy()
    hidden, _ = lm._build_cache(tf.constant(token_ids))
    cached = backbone.token_embedding(hidden, reverse=True).numpy()
    assert np.abs(full - cached).max() <= 1e-4
    with using_adapter(backbone, None):
        plain = lm({"token_ids": token_ids, "padding_mask": np.ones_like(token_ids)}).numpy()
    assert np.abs(full - plain).max() > 1e-4


def sentiment_files(root: Path) -> dict[str, Path]:
    return {"train": write_csv(root / "data" / "train.csv", ["text", "label"], sentiment_rows(96, 1)),
            "test": write_csv(root / "data" / "test.csv", ["text", "label"], sentiment_rows(24, 2))}


def peft_run(root: Path, preset: Path, name: str, merge: bool = True, **extra):
    from tfft.commands.train import train_and_export

    overrides = tiny_overrides(root, sentiment_files(root), **{
        "name": name, "model.backbone": str(preset), "peft.method": "lora", "peft.rank": 4,
        "peft.targets": "[query, value, feedforward_output_dense]", "peft.merge_on_export": merge,
        "training.epochs": 8, "training.learning_rate": 2e-2, **extra})
    return train_and_export(load_config(None, overrides), verbose=0)


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_preset):
    return peft_run(tmp_path_factory.mktemp("lora"), tiny_preset, "lora-sentiment")


def test_lora_run_learns_and_keeps_a_small_adapter_checkpoint(lora_run):
    metrics = lora_run.metrics
    assert metrics["test"]["accuracy"] >= 0.9
    assert metrics["training"]["trainable_percent"] < 5
    adapter = lora_run.run_dir / "adapter"
    info = json.loads((adapter / "adapter.json").read_text())
    assert info["peft"]["method"] == "lora" and (adapter / "labels.json").is_file()
    size = (adapter / "adapter.safetensors").stat().st_size
    assert size < 0.05 * (lora_run.run_dir / "model.weights.h5").stat().st_size


def test_adapter_checkpoint_keys_are_layer_paths(lora_run):
    from safetensors.numpy import load_file

    keys = set(load_file(str(lora_run.run_dir / "adapter" / "adapter.safetensors")))
    assert "adapter/transformer_layer_1/self_attention_layer/value/peft/b" in keys
    assert "head/logits/kernel" in keys
    assert not any(key.startswith("backbone/") for key in keys)  # nothing of the frozen backbone


def test_checkpoint_reloads_onto_a_fresh_backbone_of_the_same_preset(lora_run):
    run = load_trained_model(lora_run.run_dir)
    fresh = load_adapter_model(lora_run.run_dir / "adapter")
    expected = run.task.predict(run.model, run.encoder, run.task.encode(run.encoder, _examples(run)))
    found = fresh.task.predict(fresh.model, fresh.encoder, fresh.task.encode(fresh.encoder, _examples(run)))
    assert np.abs(expected - found).max() <= 1e-5


def _examples(trained):
    return trained.task.read(trained.config.data.test)


def test_checkpoint_refuses_another_backbone(lora_run, tmp_path):
    other = tmp_path / "other"
    loaded = load_backbone("scratch:tiny")  # same shape, other random weights
    loaded.backbone.save_to_preset(str(other))
    loaded.tokenizer.save_to_preset(str(other))
    with pytest.raises(AdapterMismatchError, match="other pretrained weights"):
        load_adapter_model(lora_run.run_dir / "adapter", backbone=str(other))
    run = load_trained_model(lora_run.run_dir)
    small = load_backbone("scratch:mini").backbone
    add_adapter(small, run.config.peft)
    with pytest.raises(AdapterMismatchError, match="hidden_dim"):
        load_adapter(lora_run.run_dir / "adapter", run.task.build_model(small, run.config.model, run.encoder), small)


def test_merged_and_unmerged_exports_agree_and_serve_pure_tf(lora_run, tmp_path_factory, tiny_preset):
    merged = lora_run.export_path
    unmerged_run = peft_run(tmp_path_factory.mktemp("unmerged"), tiny_preset, "lora-unmerged", merge=False)
    served_merged = pure_tf_outputs(merged, TEXTS)
    served_unmerged = pure_tf_outputs(unmerged_run.export_path, TEXTS)
    assert served_merged["loaded"] == [] and served_unmerged["loaded"] == []
    difference = np.abs(np.asarray(served_merged["probabilities"]) - np.asarray(served_unmerged["probabilities"]))
    assert difference.max() <= 1e-4
    graph = tf.saved_model.load(str(merged)).signatures["serving_default"].graph.as_graph_def()
    unmerged_graph = tf.saved_model.load(str(unmerged_run.export_path)).signatures["serving_default"]
    count = lambda g: sum(n.op in ("Einsum", "MatMul", "BatchMatMulV2") for f in g.library.function for n in f.node_def)  # noqa: E731
    assert count(graph) < count(unmerged_graph.graph.as_graph_def())  # no low-rank matmuls left


@pytest.fixture(scope="module")
def ner_lora_run(tmp_path_factory, tiny_preset):
    from tfft.commands.train import train_and_export

    root = tmp_path_factory.mktemp("ner-lora")
    files = {"train": write_conll(root / "data" / "train.txt", ner_sentences(240, 1)),
             "test": write_conll(root / "data" / "test.txt", ner_sentences(30, 2))}
    overrides = tiny_overrides(root, files, name="ner-houlsby", task="ner", **{
        "model.backbone": str(tiny_preset), "model.max_length": 16, "training.epochs": 4,
        "peft.method": "houlsby", "peft.bottleneck": 16, "training.learning_rate": 1e-2})
    overrides = [o for o in overrides if not o.startswith("task_options.pooling")]
    return train_and_export(load_config(None, overrides), verbose=0)


def test_token_task_trains_with_adapters(ner_lora_run):
    assert ner_lora_run.metrics["test"]["f1"] >= 0.5
    assert ner_lora_run.metrics["training"]["trainable_percent"] < 20


def test_two_adapters_switch_on_one_backbone_and_export_one_signature_each(
        lora_run, ner_lora_run, tmp_path):
    export = export_adapters([lora_run.run_dir / "adapter", ner_lora_run.run_dir / "adapter"],
                             tmp_path / "multi")
    signatures = tf.saved_model.load(str(export)).signatures
    assert set(signatures) == {"serving_default", "lora_sentiment", "ner_houlsby"}
    for run, name, key in [(lora_run, "lora_sentiment", "probabilities"), (ner_lora_run, "ner_houlsby", "entity_types")]:
        alone = LoadedExport(run.export_path).predict({"text": TEXTS})[key]
        shared = LoadedExport(export, name).predict({"text": TEXTS})[key]
        if key == "probabilities":
            assert np.abs(alone - shared).max() <= 1e-5
        else:
            assert alone.tolist() == shared.tolist()
    weights = sum(p.stat().st_size for p in (export / "variables").iterdir())
    single = sum(p.stat().st_size for p in (lora_run.export_path / "variables").iterdir())
    assert weights < 1.5 * single  # the backbone is stored once
    served = pure_tf_outputs(export, TEXTS, "ner_houlsby")
    assert served["loaded"] == [] and "entity_types" in served


def test_multi_adapter_export_refuses_backbone_changing_adapters(lora_run, tmp_path_factory, tiny_preset):
    bitfit = peft_run(tmp_path_factory.mktemp("bitfit"), tiny_preset, "bitfit", **{"peft.method": "bitfit"})
    with pytest.raises(ValueError, match="cannot share a backbone"):
        export_adapters([lora_run.run_dir / "adapter", bitfit.run_dir / "adapter"], tmp_path_factory.mktemp("x"))


def test_adalora_run_ends_at_the_target_rank(tmp_path, tiny_preset):
    run = peft_run(tmp_path, tiny_preset, "adalora", **{"peft.method": "adalora", "peft.rank": 6,
                                                        "peft.target_rank": 2})
    ranks = json.loads((run.run_dir / "adalora_ranks.json").read_text())
    assert ranks["total_rank"] == 2 * 6 and len(ranks["ranks"]) == 6
    assert len(set(ranks["ranks"].values())) > 1  # reallocated, not cut evenly
    assert run.metrics["test"]["accuracy"] >= 0.7  # learns through the pruned ranks (chance: 0.5)


def test_cli_exports_adapters_and_predicts_by_signature(lora_run, ner_lora_run, tmp_path, capsys):
    from tfft.cli import main

    adapters = [str(lora_run.run_dir / "adapter"), str(ner_lora_run.run_dir / "adapter")]
    assert main(["export", "--adapters", *adapters, "--name", "both", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "both" / "1" / "saved_model.pb").is_file()
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "both"), "the hotel was awful", "--signature", "lora_sentiment"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["label"] == "negative"
    with pytest.raises(KeyError, match="no signature 'sst2'"):
        main(["predict", str(tmp_path / "both"), "the hotel was awful", "--signature", "sst2"])


def test_every_peft_layer_rebuilds_from_its_config():
    from tfft.peft.bottleneck import BottleneckAdapter
    from tfft.peft.linear_spec import LinearSpec
    from tfft.peft.low_rank import LowRankUpdate
    from tfft.peft.prefix import AttentionPrefix
    from tfft.peft.soft_prompt import SoftPromptSlot

    spec = LinearSpec.of(keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4)))
    layers = [BottleneckAdapter(16, 4, name="adapter"), AttentionPrefix(3, 2, 4, name="prefix"),
              SoftPromptSlot(5, 16, first=True, last=False, name="prompt"),
              LowRankUpdate((16, 2, 4), spec, rank=2, alpha=4.0, dropout=0.1, kind="adalora", name="lora")]
    for layer in layers:
        config = layer.get_config()
        rebuilt = type(layer).from_config(config)
        assert rebuilt.get_config() == config and len(rebuilt.weights) == len(layer.weights), type(layer).__name__
