import keras_hub
import pytest

from tfft.backbones import BackboneError, load_backbone


def test_scratch_sizes_and_unknown_size():
    loaded = load_backbone("scratch:tiny", max_length=64)
    assert loaded.backbone.num_layers == 2 and loaded.backbone.hidden_dim == 32
    assert loaded.tokenizer.token_to_id("[CLS]") == 101
    with pytest.raises(BackboneError, match="expected one of"):
        load_backbone("scratch:huge")


def test_local_keras_hub_preset_folder(tmp_path):
    original = load_backbone("scratch:tiny")
    original.backbone.save_to_preset(str(tmp_path))
    original.tokenizer.save_to_preset(str(tmp_path))
    loaded = load_backbone(str(tmp_path))
    assert loaded.backbone.count_params() == original.backbone.count_params()
    first = original.backbone.get_layer("token_embedding").embeddings.numpy()
    assert (loaded.backbone.get_layer("token_embedding").embeddings.numpy() == first).all()


def test_missing_folder_and_folder_without_config(tmp_path):
    with pytest.raises(BackboneError, match="does not exist.*Hugging Face"):
        load_backbone(str(tmp_path / "nowhere"))
    (tmp_path / "weights.bin").write_text("x")
    with pytest.raises(BackboneError, match="no config.json"):
        load_backbone(str(tmp_path))


@pytest.mark.parametrize("name", ["bert_base_en_uncased", "bert_base_zh", "bge_small_v1.5_zh", "bert_base_multi",
                                  "qwen2.5_0.5b_en"])
def test_preset_name_offline_error_points_at_local_paths(monkeypatch, name):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'api.kaggle.com'")

    monkeypatch.setattr(keras_hub.models.Backbone, "from_preset", offline)
    with pytest.raises(BackboneError) as info:
        load_backbone(name)
    message = str(info.value)
    assert f"could not download keras-hub preset '{name}'" in message
    assert "local folder" in message and "minilm-l6" in message


def test_hugging_face_gpt2_folder_written_by_keras_hub_loads_back(tmp_path):
    """A tiny GPT-2 (tokenizer trained here) exported to HF format, then read as a backbone spec."""
    import numpy as np
    import tensorflow as tf

    from tfft.backbones import scratch_backbone
    from tfft.pretraining.vocabulary import train_byte_level_bpe

    texts = [f"the {animal} ran to the {place}." for animal in ("cat", "dog", "fox") for place in ("hill", "barn")]
    tokenizer = train_byte_level_bpe(texts * 20, 300)
    original = scratch_backbone("scratch-gpt2:tiny", tokenizer.vocabulary_size(), max_length=32)
    folder = tmp_path / "hf-gpt2"
    original.export_to_transformers(str(folder))
    tokenizer.export_to_transformers(str(folder))
    assert {"config.json", "model.safetensors", "vocab.json", "merges.txt"} <= {p.name for p in folder.iterdir()}

    loaded = load_backbone(str(folder))
    assert type(loaded.backbone).__name__ == "GPT2Backbone"
    ids = tf.function(lambda t: loaded.tokenizer(t))(tf.constant(["the fox ran to the barn."])).to_tensor()
    expected = tf.function(lambda t: tokenizer(t))(tf.constant(["the fox ran to the barn."])).to_tensor()
    np.testing.assert_array_equal(ids.numpy(), expected.numpy())
    inputs = {"token_ids": ids, "padding_mask": tf.ones_like(ids)}
    np.testing.assert_allclose(loaded.backbone(inputs).numpy(), original(inputs).numpy(), atol=1e-5)


def test_the_encoder_length_is_the_configured_one_where_the_backbone_covers_it():
    from tfft.backbones import encoder_length

    backbone = load_backbone("scratch:tiny", 24).backbone
    assert encoder_length(backbone, 24) == 24 and encoder_length(backbone, 8) == 8
    with pytest.raises(BackboneError, match="model.max_length 25 is longer than the 24 positions"):
        encoder_length(backbone, 25)
