"""Pre-training: corpus reading, tokenizer training, packing, objectives, and the run."""

from __future__ import annotations

import random
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfft.backbones import BackboneError, load_backbone
from tfft.config import DataConfig, load_config
from tfft.data.errors import DataError
from tfft.pretraining.causal_lm import CausalLM
from tfft.pretraining.corpus import read_corpus
from tfft.pretraining.masked_lm import MaskedLM
from tfft.pretraining.registry import make_objective
from tfft.pretraining.packing import pack_blocks
from tfft.pretraining.vocabulary import train_byte_level_bpe, train_wordpiece
from tfft.training.trained_model import load_tokenizer
from conftest import tensorboard_tags, write_csv

ANIMALS = ["cat", "dog", "horse", "bird", "fox"]
PLACES = ["mat", "rug", "hill", "barn", "field"]


def patterned_documents(count: int, seed: int = 0) -> list[str]:
    """Documents a tiny LM can learn quickly: a fixed frame with a few slots."""
    rng = random.Random(seed)
    return [f"the {rng.choice(ANIMALS)} sat on the {rng.choice(PLACES)} and the "
            f"{rng.choice(ANIMALS)} ran to the {rng.choice(PLACES)}." for _ in range(count)]


def encode(tokenizer, texts: list[str]) -> tf.RaggedTensor:
    """Ragged ids (keras-hub tokenizers return Python lists when called eagerly)."""
    return tf.function(lambda t: tokenizer(t))(tf.constant(texts))


def write_corpus(path: Path, documents: list[str], separator: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(separator.join(documents) + "\n", encoding="utf-8")
    return path


# --- corpus -----------------------------------------------------------------

def test_corpus_documents_per_line_or_per_paragraph_with_their_first_line(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("First Citizen:\nBefore we proceed.\n\n\nAll:\nSpeak, speak.\n", encoding="utf-8")
    by_line = read_corpus(str(path), DataConfig(), "line")
    assert by_line.documents == ["First Citizen:", "Before we proceed.", "All:", "Speak, speak."]
    assert by_line.lines == [1, 2, 5, 6]
    by_paragraph = read_corpus(str(path), DataConfig(), "blank_line")
    assert by_paragraph.documents == ["First Citizen:\nBefore we proceed.", "All:\nSpeak, speak."]
    assert by_paragraph.lines == [1, 5]


def test_corpus_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("fine line\nSepp\xe4l\xe4 Oy\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.txt, line 2: not UTF-8"):
        read_corpus(str(bad), DataConfig())
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_corpus(str(tmp_path / "missing.txt"), DataConfig())
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="no text found"):
        read_corpus(str(empty), DataConfig())
    with pytest.raises(ValueError, match="document_separator"):
        read_corpus(str(empty), DataConfig(), "sentence")


def test_tabular_corpus_reads_the_text_column(tmp_path):
    path = write_csv(tmp_path / "news.csv", ["headline", "label"], [("Shares rose", "pos"), ("Sales fell", "neg")])
    corpus = read_corpus(str(path), DataConfig(text_column="headline"))
    assert corpus.documents == ["Shares rose", "Sales fell"] and corpus.lines == [2, 3]


def test_several_corpus_files_make_one_corpus(tmp_path):
    from tfft.pretraining.corpus import read_corpora

    first = write_corpus(tmp_path / "train.en", ["A dog runs.", "Two men."])
    second = write_corpus(tmp_path / "train.de", ["Ein Hund rennt."])
    corpus = read_corpora([str(first), str(second)], DataConfig())
    assert corpus.documents == ["A dog runs.", "Two men.", "Ein Hund rennt."] and corpus.lines == [1, 2, 1]
    assert corpus.source == f"{first} + {second}"


def test_hold_out_is_seeded_and_disjoint(tmp_path):
    corpus = read_corpus(str(write_corpus(tmp_path / "c.txt", [f"doc {i}" for i in range(40)])), DataConfig())
    train, validation = corpus.hold_out(0.1, seed=3)
    again_train, again_validation = corpus.hold_out(0.1, seed=3)
    assert len(validation) == 4 and len(train) == 36
    assert validation.documents == again_validation.documents
    assert not set(train.documents) & set(validation.documents)


# --- packing ------------------------------------------------------------------

def test_pack_blocks_joins_documents_and_wraps_each_block():
    ids = [np.array([5, 6, 7]), np.array([8]), np.array([9, 10, 11, 12])]
    blocks = pack_blocks(ids, block_length=5, separator_id=2, prefix=[1], suffix=[2])
    # stream: 5 6 7 2 8 2 9 10 11 12 2 -> content of 3 per block, remainder (12 2) dropped
    np.testing.assert_array_equal(blocks, [[1, 5, 6, 7, 2], [1, 2, 8, 2, 2], [1, 9, 10, 11, 2]])
    plain = pack_blocks(ids, block_length=4, separator_id=0)
    np.testing.assert_array_equal(plain, [[5, 6, 7, 0], [8, 0, 9, 10]])
    with pytest.raises(ValueError, match="no room"):
        pack_blocks(ids, block_length=2, separator_id=0, prefix=[1], suffix=[2])


# --- tokenizers ---------------------------------------------------------------

def test_byte_level_bpe_round_trips_text_and_knows_end_of_text():
    tokenizer = train_byte_level_bpe(patterned_documents(200) + ["Ünïcode ok, 3.5% up!"], 300)
    text = "the fox sat on the barn. Ünïcode ok, 3.5% up!"
    ids = encode(tokenizer, [text])
    assert tf.function(tokenizer.detokenize)(ids).numpy()[0].decode("utf-8") == text
    assert tokenizer.id_to_token(tokenizer.end_token_id) == "<|endoftext|>"
    assert 256 < tokenizer.vocabulary_size() <= 300
    assert len(encode(tokenizer, ["the horse ran to the field."])[0]) < 10  # merges learnt


def test_wordpiece_has_bert_special_tokens_and_splits_unknown_words():
    tokenizer = train_wordpiece(patterned_documents(200), 120)
    for token in ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]"):
        assert tokenizer.token_to_id(token) is not None
    pieces = [tokenizer.id_to_token(int(i)) for i in encode(tokenizer, ["The horses"])[0]]
    assert pieces[0] == "the" and pieces[1] == "horse" and pieces[2].startswith("##")


# --- objectives -----------------------------------------------------------------

def test_masked_lm_batches_mask_about_the_rate_and_never_special_tokens():
    tokenizer = train_wordpiece(patterned_documents(200), 120)
    objective = MaskedLM({"mask_rate": 0.15})
    layout = objective.layout(tokenizer, max_length=64)
    content = np.random.default_rng(0).integers(10, tokenizer.vocabulary_size(), size=(32, 62))
    blocks = np.concatenate([np.full((32, 1), layout.prefix[0]), content, np.full((32, 1), layout.suffix[0])], 1)
    keras.utils.set_random_seed(1)
    inputs, targets, weights = objective.batch(tf.constant(blocks, tf.int32))
    positions = inputs["mask_positions"].numpy()
    chosen = weights.numpy() > 0
    assert 0.10 < chosen.sum() / (32 * 62) < 0.20
    picked = np.take_along_axis(blocks, positions, axis=1)
    np.testing.assert_array_equal(targets.numpy()[chosen], picked[chosen])  # targets are the originals
    assert ((positions[chosen] > 0) & (positions[chosen] < 63)).all()  # never [CLS] / [SEP]
    masked = np.take_along_axis(inputs["token_ids"].numpy(), positions, axis=1)[chosen]
    assert 0.65 < (masked == tokenizer.mask_token_id).mean() < 0.95  # 80% [MASK]
    assert set(inputs) == {"token_ids", "segment_ids", "padding_mask", "mask_positions"}


def test_causal_lm_targets_are_inputs_shifted_by_one():
    inputs, targets = CausalLM().batch(tf.constant([[1, 2, 3, 4]], tf.int32))
    np.testing.assert_array_equal(inputs["token_ids"].numpy(), [[1, 2, 3]])
    np.testing.assert_array_equal(targets.numpy(), [[2, 3, 4]])


def test_objective_names_and_options_are_checked():
    with pytest.raises(ValueError, match="masked_lm"):
        make_objective("span_corruption")
    with pytest.raises(ValueError, match="mask_ratio"):
        make_objective("masked_lm", {"mask_ratio": 0.2})
    with pytest.raises(BackboneError, match="GPT2Backbone has none"):
        MaskedLM().build_model(load_backbone_gpt2_tiny())


def load_backbone_gpt2_tiny():
    from tfft.backbones import scratch_backbone
    return scratch_backbone("scratch-gpt2:tiny", vocabulary_size=300, max_length=16)


def test_gpt2_scratch_needs_pretraining_for_a_vocabulary():
    with pytest.raises(BackboneError, match="tfft pretrain"):
        load_backbone("scratch-gpt2:tiny")


# --- runs -----------------------------------------------------------------------

def pretrain_config(tmp_path: Path, corpus: Path, **extra):
    values = {
        "name": "lm", "output_dir": str(tmp_path / "runs"), "task": "causal_lm",
        "task_options.vocabulary_size": 300, "model.backbone": "scratch-gpt2:tiny", "model.max_length": 24,
        "data.train": str(corpus), "data.validation_fraction": 0.1, "training.epochs": 3,
        "training.batch_size": 16, "training.learning_rate": 3e-3, "training.warmup_ratio": 0.0,
        "training.log_every_steps": 5,
    }
    values.update(extra)
    return load_config(None, [f"{key}={value}" for key, value in values.items()])


def test_causal_lm_from_scratch_learns_and_saves_a_loadable_preset(tmp_path):
    import keras_hub

    from tfft.pretraining.run import pretrain

    corpus = write_corpus(tmp_path / "corpus.txt", patterned_documents(400))
    result = pretrain(pretrain_config(tmp_path, corpus), verbose=0)
    before, after = result.metrics["validation"]["before"], result.metrics["validation"]["after"]
    assert after["loss"] < before["loss"] - 1.0
    history = result.metrics["history"]["val_perplexity"]
    assert history == sorted(history, reverse=True)  # falls every epoch
    assert after["perplexity"] == pytest.approx(np.exp(after["loss"]), rel=0.02)
    assert result.metrics["training"]["throughput_first_epoch"]["tokens_per_second"] > 0

    loaded = load_backbone(str(result.preset_dir))  # what `tfft train --set model.backbone=...` does
    assert type(loaded.backbone).__name__ == "GPT2Backbone"
    run_tokenizer = load_tokenizer(result.run_dir / "tokenizer")
    text = ["the cat sat on the mat and the dog ran to the hill."]
    ids = encode(loaded.tokenizer, text).to_tensor()
    np.testing.assert_array_equal(ids.numpy(), encode(run_tokenizer, text).to_tensor().numpy())
    lm = keras_hub.models.GPT2CausalLM(loaded.backbone)
    logits = lm({"token_ids": ids[:, :-1], "padding_mask": tf.ones_like(ids[:, :-1])})
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(ids[:, 1:], logits)
    assert float(loss) < before["loss"] - 1.0  # the preset carries the trained weights

    scalars = tensorboard_tags(result.run_dir / "logs")
    assert {"epoch_loss", "epoch_perplexity", "step_learning_rate", "step_tokens_per_second",
            "generations"} <= scalars


def test_masked_lm_preset_is_fine_tuned_by_tfft_train(tmp_path, sentiment_files):
    import keras_hub
    from conftest import tiny_config
    from tfft.pretraining.run import pretrain
    from tfft.training.run import train

    corpus = write_corpus(tmp_path / "corpus.txt", patterned_documents(300))
    config = pretrain_config(tmp_path, corpus, task="masked_lm", name="mlm", **{
        "model.backbone": "scratch:tiny", "task_options.vocabulary_size": 200, "training.epochs": 2})
    pretrained = pretrain(config, verbose=0)
    after = pretrained.metrics["validation"]["after"]
    assert after["loss"] < pretrained.metrics["validation"]["before"]["loss"]
    # Perplexity and accuracy count the masked tokens only, as the loss does (not the padding of the selection).
    assert after["perplexity"] == pytest.approx(np.exp(after["loss"]), rel=0.02)
    assert pretrained.metrics["history"]["val_perplexity"][-1] == pytest.approx(after["perplexity"], rel=0.02)
    # The preset keeps the trained masked-LM head too (prompt_classification scores label words with
    # it): a fresh head's output bias is all zeros.
    assert (pretrained.preset_dir / "task.weights.h5").is_file()
    head = keras_hub.models.BertMaskedLM.from_preset(str(pretrained.preset_dir), preprocessor=None).masked_lm_head
    assert float(np.abs(head._bias.numpy()).max()) > 0.0
    with pytest.raises(BackboneError, match="model.max_length 32 is longer than the 24 positions"):
        train(tiny_config(tmp_path, sentiment_files, **{"name": "too-long", "model.backbone": str(pretrained.preset_dir)}),
              verbose=0)
    tuned = train(tiny_config(tmp_path, sentiment_files, **{
        "model.backbone": str(pretrained.preset_dir), "model.max_length": 24, "training.epochs": 1,
        "export.enabled": False}), verbose=0)
    assert tuned.metrics["validation"]["after"]["examples"] > 0


def test_interrupted_pretraining_resumes_with_the_same_vocabulary(tmp_path, monkeypatch):
    from tfft.pretraining import run as run_module

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt("killed")

    corpus = write_corpus(tmp_path / "corpus.txt", patterned_documents(200))
    config = pretrain_config(tmp_path, corpus, **{"training.epochs": 2})
    original = run_module._callbacks
    monkeypatch.setattr(run_module, "_callbacks", lambda *a: original(*a) + [Crash()])
    with pytest.raises(KeyboardInterrupt):
        run_module.pretrain(config, verbose=0)
    monkeypatch.setattr(run_module, "_callbacks", original)
    monkeypatch.setattr(CausalLM, "train_tokenizer", lambda *a: pytest.fail("the vocabulary was trained again"))
    result = run_module.pretrain(config, verbose=0)
    assert result.run_dir == tmp_path / "runs" / "lm"
    assert result.metrics["training"]["resumed"] and result.metrics["training"]["epochs_run"] == 1


def test_sample_generations_are_written_each_epoch(tmp_path):
    from tfft.backbones import scratch_backbone

    tokenizer = train_byte_level_bpe(patterned_documents(100), 300)
    backbone = scratch_backbone("scratch-gpt2:tiny", tokenizer.vocabulary_size(), max_length=32)
    callback = CausalLM().callbacks(backbone, tokenizer, ["the cat sat", "the fox"], tmp_path)[0]
    callback.set_model(CausalLM().build_model(backbone))
    callback.on_epoch_end(0)
    assert len(callback.last) == 2 and all(isinstance(text, str) for text in callback.last)
    assert "generations" in tensorboard_tags(tmp_path)


def test_pretraining_refuses_peft_before_touching_the_run_folder(tmp_path):
    from tfft.pretraining.run import pretrain

    config = load_config(None, ["task=causal_lm", "peft.method=lora", f"output_dir={tmp_path}"])
    with pytest.raises(ValueError, match="peft.method=lora applies to fine-tuning"):
        pretrain(config)
    assert not any(tmp_path.iterdir())


# --- whole-word masking (Chinese) ------------------------------------------------

CHINESE = ["我爱北京天安门", "天安门上太阳升", "北京是中国的首都", "我们都爱中国", "太阳从东方升起"] * 40


def test_word_starts_follow_jieba_words_over_single_character_tokens():
    tokenizer = train_wordpiece(CHINESE, 200)
    flags = MaskedLM({"whole_word_masking": True}).word_starts(tokenizer, ["我爱北京天安门", "iPhone手机"])
    tokens = [tokenizer.id_to_token(int(i)) for i in encode(tokenizer, ["我爱北京天安门"])[0]]
    assert tokens == ["我", "爱", "北", "京", "天", "安", "门"]  # BERT: one token per ideograph
    assert flags[0].tolist() == [True, True, True, False, True, False, False]  # 我 | 爱 | 北京 | 天安门
    assert len(flags[1]) == len(encode(tokenizer, ["iPhone手机"])[0]) and flags[1][0]


def test_whole_word_masking_masks_every_token_of_a_chosen_word():
    from tfft.pretraining.packing import tokenize_documents

    tokenizer = train_wordpiece(CHINESE, 200)
    objective = MaskedLM({"whole_word_masking": True, "mask_rate": 0.3})
    layout = objective.layout(tokenizer, max_length=30)
    ids = tokenize_documents(tokenizer, CHINESE)
    starts = objective.word_starts(tokenizer, CHINESE)
    blocks = pack_blocks(ids, 32, layout.separator_id, layout.prefix, layout.suffix)
    flags = pack_blocks([s.astype(np.int32) for s in starts], 32, 1, [1], [1])
    keras.utils.set_random_seed(3)
    inputs, targets, weights = objective.batch(tf.constant(np.stack([blocks, flags], -1), tf.int32))
    chosen = weights.numpy() > 0
    positions = inputs["mask_positions"].numpy()
    words = np.cumsum(flags, axis=1)
    whole_words_of_two = 0
    special = np.isin(blocks, layout.prefix + layout.suffix + [layout.separator_id])
    for row in range(len(blocks)):
        masked = set(positions[row][chosen[row]].tolist())
        for word in set(words[row][list(masked)].tolist()):
            # A block cut inside a word joins its first tokens to [CLS], which is never masked.
            members = set(np.flatnonzero((words[row] == word) & ~special[row]).tolist())
            assert members <= masked, (row, word)  # all of the word's tokens, or none
            whole_words_of_two += len(members) >= 2
    assert whole_words_of_two > 20
    np.testing.assert_array_equal(targets.numpy()[chosen], np.take_along_axis(blocks, positions, 1)[chosen])
    assert 0.15 < chosen.sum() / blocks[:, 1:-1].size < 0.45
    assert not np.isin(np.take_along_axis(blocks, positions, 1)[chosen], layout.prefix + layout.suffix).any()


def test_whole_word_masking_option_must_be_a_boolean():
    with pytest.raises(ValueError, match="whole_word_masking must be true or false, got 'yes'"):
        MaskedLM({"whole_word_masking": "yes"})


def test_every_character_seen_twice_gets_its_own_token_beyond_a_thousand():
    # 1,500 distinct ideographs, each twice: more than the trainer's default alphabet of 1,000.
    characters = [chr(0x4E00 + i) for i in range(1500)]
    documents = ["".join(characters[i:i + 50]) for i in range(0, 1500, 50)] * 2 + ["龘"]
    vocabulary = set(train_wordpiece(documents, 4000).get_vocabulary())
    assert set(characters) <= vocabulary
    assert "龘" not in vocabulary  # seen once: [UNK], as the minimum frequency says
