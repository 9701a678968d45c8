"""The real default model: the embedded pretrained MiniLM-L6, end to end on the sample data."""

from pathlib import Path

import numpy as np
import pytest

from tfft.backbones import embedded_model_dir, load_backbone
from tfft.config import load_config, DEFAULT_CONFIG
from tfft.commands.train import train_and_export

from test_export import in_process_probabilities, pure_tf_outputs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def minilm_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("minilm")
    config = load_config(DEFAULT_CONFIG, [
        f"output_dir={root / 'runs'}", f"export.dir={root / 'saved_models'}",
        "training.epochs=2", "training.early_stopping_patience=null",
    ])
    return train_and_export(config, verbose=0)


def test_hugging_face_folder_loads_as_the_alias():
    folder = embedded_model_dir()
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    by_path, by_alias = load_backbone(str(folder)), load_backbone("minilm-l6")
    assert by_path.backbone.num_layers == 6 and by_path.backbone.hidden_dim == 384
    embedding = lambda b: b.backbone.get_layer("token_embedding").embeddings.numpy()[:100]  # noqa: E731
    assert np.array_equal(embedding(by_path), embedding(by_alias))
    ids = by_path.tokenizer(["Where is my parcel?"])
    assert ids[0][:3] == [2073, 2003, 2026]  # real WordPiece vocabulary, lower-cased


def test_default_run_fine_tunes_pretrained_minilm(minilm_run):
    validation = minilm_run.metrics["validation"]
    assert validation["after"]["accuracy"] >= 0.8 > validation["before"]["accuracy"]
    assert minilm_run.metrics["test"]["accuracy"] >= 0.8


def test_export_in_pure_tf_matches_model(minilm_run):
    texts = ["I was charged twice for my order", "can I get this jacket in a larger size?",
             "where is my parcel #12345", "please change the delivery address"]
    served = pure_tf_outputs(minilm_run.export_path, texts)
    expected = in_process_probabilities(minilm_run.run_dir, texts)
    assert np.abs(np.asarray(served["probabilities"]) - expected).max() <= 1e-5
    size = sum(p.stat().st_size for p in (Path(minilm_run.export_path) / "variables").iterdir())
    assert size < 22_716_296 * 4 * 1.1


def test_offset_tokenizer_gives_the_pretrained_models_ids():
    """The token tasks' tokenizer (tf-text, with offsets) must match keras-hub's on real text."""
    import tensorflow as tf

    from tfft.text.offset_tokenizer import OffsetTokenizer

    keras_hub_tokenizer = load_backbone("minilm-l6").tokenizer
    offsets = OffsetTokenizer.from_keras_hub(keras_hub_tokenizer)
    lines = (Path(DEFAULT_CONFIG).parent / "train.csv").read_text(encoding="utf-8").splitlines()[1:200]
    texts = [line.rsplit(",", 1)[0].strip('"') for line in lines] + [
        "EU rejects German call to boycott British lamb.", "U.S.-based firm's 1996-08-22 results (Q3)!"]
    expected = keras_hub_tokenizer(tf.constant(texts))  # eager: Python lists
    assert offsets.tokenize(tf.constant(texts)).ids.to_list() == expected
