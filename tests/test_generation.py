"""Generation fine-tuning: prompt encoding, data, metrics, decoding, training and the served generator."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import tensorflow as tf

from tfft.config import DataConfig, load_config
from tfft.data.errors import DataError
from tfft.tasks.generation.generation_examples import read_generation_examples
from tfft.tasks.generation.generation_metrics import generation_scores
from tfft.pretraining.vocabulary import train_byte_level_bpe
from tfft.tasks import make_task
from tfft.tasks.generation.generator import ids_to_text
from tfft.tasks.generation.prompt_encoder import PromptEncoder
from conftest import tensorboard_tags, write_csv

SOUNDS = {"cat": "meow meow", "dog": "woof", "cow": "moo moo moo"}  # what a tiny GPT learns in seconds


def sound_rows(count: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(f"the {animal} says", SOUNDS[animal]) for animal in rng.choices(sorted(SOUNDS), k=count)]


@pytest.fixture(scope="module")
def tokenizer():
    texts = [f"{prompt} {response}" for prompt, response in sound_rows(200)] + ["Sound:", "English: German:"]
    return train_byte_level_bpe(texts * 3, 300)


@pytest.fixture(scope="module")
def gpt_preset(tmp_path_factory, tokenizer) -> Path:
    """A tiny randomly initialised GPT-2 saved as a keras-hub preset folder (what tfft pretrain writes)."""
    import keras

    from tfft.backbones import scratch_backbone

    folder = tmp_path_factory.mktemp("gpt") / "preset"
    keras.utils.set_random_seed(0)  # the same tiny GPT on every run: its losses move by thousandths
    scratch_backbone("scratch-gpt2:tiny", tokenizer.vocabulary_size(), max_length=48).save_to_preset(str(folder))
    tokenizer.save_to_preset(str(folder))
    return folder


def ids(tokenizer, text: str) -> list[int]:
    return [int(i) for i in tf.function(lambda t: tokenizer(t))(tf.constant([text]))[0].numpy()]


def test_chinese_text_comes_back_without_spaces_between_characters_and_latin_words_keep_theirs():
    sample = Path(__file__).resolve().parent.parent / "tfft" / "sample_data" / "zh_support_intents" / "train.csv"
    texts = [line.split(",")[0] for line in sample.read_text(encoding="utf-8").splitlines()[1:]]
    tokenizer = train_byte_level_bpe(texts + ["please check the order status"] * 5, 400)
    text = "快递三天了还没到, please check 订单 123 一下！😀"
    decoded = tf.function(lambda t: ids_to_text(tokenizer, tokenizer(t)))(tf.constant([text]))
    assert decoded[0].numpy().decode("utf-8") == text
    cut = tf.ragged.constant([ids(tokenizer, "龘")[:-1]])  # a row that stops inside a 3-byte character
    assert len(ids(tokenizer, "龘")) > 1 and ids_to_text(tokenizer, cut).numpy()[0].decode("utf-8") == "\ufffd"


# --- prompt encoding ----------------------------------------------------------

def test_training_rows_put_the_loss_on_the_response_and_end_token_only(tokenizer):
    encoder = PromptEncoder(tokenizer, max_length=40, template="{prompt}\nSound:", max_new_tokens=8)
    token_ids, targets = encoder.training_rows(tf.constant(["the cow says"]), tf.constant(["moo moo moo"]))
    prompt = [encoder.start_id, *ids(tokenizer, "the cow says"), *ids(tokenizer, "\nSound:")]
    response = ids(tokenizer, "moo moo moo")
    assert token_ids[0].numpy().tolist() == prompt + response  # the row minus its final [end]
    assert targets[0].numpy().tolist() == [-1] * (len(prompt) - 1) + response + [encoder.end_id]
    assert encoder.prompt_ids(tf.constant(["the cow says"]))[0].numpy().tolist() == prompt


def test_long_prompts_and_responses_are_cut_to_the_budget(tokenizer):
    encoder = PromptEncoder(tokenizer, max_length=24, max_new_tokens=6)
    long_prompt = " ".join(["the cat says meow"] * 20)
    token_ids, targets = encoder.training_rows(tf.constant([long_prompt]), tf.constant([long_prompt]))
    assert len(token_ids[0]) <= 24 - 1 and int(tf.reduce_sum(tf.cast(targets[0] >= 0, tf.int32))) == 6
    kept_end = PromptEncoder(tokenizer, max_length=24, max_new_tokens=6, truncate="start")
    tail = kept_end.prompt_ids(tf.constant([long_prompt + " lion"]))[0].numpy().tolist()
    assert tail[-len(ids(tokenizer, " lion")):] == ids(tokenizer, " lion")  # the newest text survives
    with pytest.raises(ValueError, match="prompt_template"):
        PromptEncoder(tokenizer, 24, template="no placeholder")
    with pytest.raises(ValueError, match="no room"):
        PromptEncoder(tokenizer, 8, max_new_tokens=8)


def test_turn_truncation_drops_the_oldest_whole_lines(tokenizer):
    from tfft.tasks.generation.turn_truncation import last_whole_lines as in_eager

    def last_whole_lines(tokenizer, prompts, room):  # as it runs: inside a graph
        return tf.function(lambda p: in_eager(tokenizer, p, room))(prompts)

    chat = "user: the cat says\nassistant: meow meow\nuser: the dog says"
    prompts = tf.constant([chat, "the cow says"])
    whole = last_whole_lines(tokenizer, prompts, room=100)
    assert whole[0].numpy().tolist() == ids(tokenizer, chat)  # per-line ids join to the whole text's
    assert whole[1].numpy().tolist() == ids(tokenizer, "the cow says")
    newest_two = "\nassistant: meow meow\nuser: the dog says"
    room = len(ids(tokenizer, newest_two))
    cut = last_whole_lines(tokenizer, prompts, room=room)
    assert cut[0].numpy().tolist() == ids(tokenizer, newest_two)
    only_last = last_whole_lines(tokenizer, prompts, room=3)  # a line longer than the room keeps its end
    assert only_last[0].numpy().tolist() == ids(tokenizer, "\nuser: the dog says")[-3:]


# --- data -----------------------------------------------------------------------

def test_parallel_files_are_read_line_by_line_with_clear_errors(tmp_path):
    (tmp_path / "train.en").write_text("A dog runs.\nTwo men.\n", encoding="utf-8")
    (tmp_path / "train.de").write_text("Ein Hund rennt.\nZwei Männer.\n", encoding="utf-8")
    examples = read_generation_examples(str(tmp_path / "train"), DataConfig(), ("en", "de"))
    assert examples.prompts == ["A dog runs.", "Two men."] and examples.responses[1] == "Zwei Männer."
    (tmp_path / "bad.en").write_text("one\ntwo\nthree\n", encoding="utf-8")
    (tmp_path / "bad.de").write_text("eins\n\ndrei\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.de, line 2: empty line"):
        read_generation_examples(str(tmp_path / "bad"), DataConfig(), ("en", "de"))
    skipped = read_generation_examples(str(tmp_path / "bad"), DataConfig(skip_bad_rows=True), ("en", "de"))
    assert skipped.prompts == ["one", "three"] and skipped.lines == [1, 3]
    (tmp_path / "short.en").write_text("one\ntwo\n", encoding="utf-8")
    (tmp_path / "short.de").write_text("eins\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"short.de.*1 lines, but .*short.en has 2"):
        read_generation_examples(str(tmp_path / "short"), DataConfig(), ("en", "de"))


def test_table_columns_map_to_prompt_and_response(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["dialogue", "summary"], [("A: hi\nB: hello", "They greet.")])
    examples = read_generation_examples(str(path), DataConfig(text_column="dialogue", label_column="summary"))
    assert examples.prompts == ["A: hi\nB: hello"] and examples.responses == ["They greet."]


def test_chat_messages_become_history_prompt_and_assistant_response(tmp_path):
    chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "Sunny."}]
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(json.dumps({"messages": m}) for m in (chat, chat[:1], chat[:3])) + "\n",
                    encoding="utf-8")
    examples = read_generation_examples(str(path), DataConfig(text_column="messages", skip_bad_rows=True),
                                        messages=True)
    assert examples.prompts == ["user: Hi\nassistant: Hello!\nuser: Weather?"]
    assert examples.responses == ["Sunny."] and examples.lines == [1]
    assert [row.line for row in examples.skipped.skipped] == [2, 3]
    with pytest.raises(DataError, match=r"chats.jsonl, line 2, column 'messages': expected a list of at least two"):
        read_generation_examples(str(path), DataConfig(text_column="messages"), messages=True)


# --- metrics ----------------------------------------------------------------------

def test_generation_scores():
    perfect = generation_scores(["the cat sat on the mat"], ["the cat sat on the mat"])
    assert perfect == pytest.approx({"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0, "bleu": 100.0,
                                     "exact_match": 100.0})
    partial = generation_scores(["a cat sat"], ["the cat sat"])
    assert partial["rouge1"] == pytest.approx(200 / 3) and partial["rouge2"] == pytest.approx(50.0)
    assert partial["exact_match"] == 0.0


def test_bad_decoding_options_fail_before_training():
    with pytest.raises(ValueError, match="sampler"):
        make_task("generation", {"sampler": "nucleus"}, DataConfig())
    with pytest.raises(ValueError, match="unknown option"):
        make_task("generation", {"beams": 4}, DataConfig())


# --- training, decoding and serving -------------------------------------------------

def train_generator(root: Path, preset: Path, name: str, **extra):
    from tfft.commands.train import train_and_export

    train_file = write_csv(root / "train.csv", ["prompt", "response"], sound_rows(240, 1))
    overrides = {
        "name": name, "task": "generation", "output_dir": str(root / "runs"),
        "task_options.prompt_template": '"{prompt}\\nSound:"', "task_options.max_new_tokens": 8,
        "model.backbone": str(preset), "model.max_length": 32,
        "data.train": str(train_file), "data.text_column": "prompt", "data.label_column": "response",
        "training.epochs": 12, "training.batch_size": 16, "training.learning_rate": 5e-3,
        # A tiny GPT from scratch at a high learning rate: its true gradient norm
        # (duplicate token rows of the tied embedding merged) is far above any usual clip.
        "training.warmup_ratio": 0.0, "training.clip_norm": "null", "training.log_every_steps": 5,
        "export.dir": str(root / "saved_models"), "export.warmup_requests": 2, **extra,
    }
    config = load_config(None, [f"{key}={value}" for key, value in overrides.items()])
    return train_and_export(config, verbose=0)


@pytest.fixture(scope="module")
def trained_generator(tmp_path_factory, gpt_preset):
    return train_generator(tmp_path_factory.mktemp("generation"), gpt_preset, "sounds")


def test_fine_tuned_generator_learns_the_responses(trained_generator):
    metrics = trained_generator.metrics["validation"]
    assert metrics["after"]["exact_match"] >= 90.0 > metrics["before"]["exact_match"]
    assert metrics["after"]["rougeL"] >= 90.0
    history = trained_generator.history
    assert history["val_loss"][-1] < history["val_loss"][0] and history["val_perplexity"][-1] < 2.0
    assert (trained_generator.run_dir / "validation_report.txt").read_text().count("generated:") == 5
    tags = tensorboard_tags(trained_generator.run_dir / "logs")
    assert {"generations", "epoch_perplexity", "epoch_token_accuracy"} <= tags  # samples each epoch


def test_export_generates_the_same_tokens_in_a_pure_tf_process(trained_generator):
    from test_export import pure_tf_outputs
    from tfft.training.trained_model import load_trained_model

    prompts = [f"the {animal} says" for animal in sorted(SOUNDS)] + ["the dog says nothing at all, really"]
    served = pure_tf_outputs(trained_generator.export_path, {"prompt": prompts})
    assert served["loaded"] == []  # no keras-hub, no tfft: what stock TF Serving can run
    trained = load_trained_model(trained_generator.run_dir)
    in_process = trained.task.generator(trained.model, trained.encoder)(tf.constant(prompts))
    assert served["generated_text"] == [t.decode("utf-8") for t in in_process["generated_text"].numpy()]
    assert served["num_generated_tokens"] == in_process["num_generated_tokens"].numpy().tolist()
    assert served["generated_text"][:3] == [SOUNDS[animal] for animal in sorted(SOUNDS)]
    assert all(0 < n <= 8 for n in served["num_generated_tokens"])
    metadata = json.loads((trained_generator.export_path / "assets.extra" / "tfft.json").read_text())
    assert metadata["serving_inputs"] == ["prompt"]


def test_samplers_and_stop_tokens(trained_generator):
    from tfft.training.trained_model import load_trained_model

    trained = load_trained_model(trained_generator.run_dir)
    prompts = tf.constant(["the cow says", "the dog says"])
    beam = trained.task.__class__({"sampler": "beam", "num_beams": 3, "prompt_template": "{prompt}\nSound:",
                                   "max_new_tokens": 8}, trained.task.data)
    assert [t.decode() for t in beam.generator(trained.model, trained.encoder)(prompts)["generated_text"].numpy()] \
        == [SOUNDS["cow"], SOUNDS["dog"]]
    stop_at_space = trained.task.__class__({"stop_tokens": [" moo"], "prompt_template": "{prompt}\nSound:",
                                            "max_new_tokens": 8}, trained.task.data)
    outputs = stop_at_space.generator(trained.model, trained.encoder)(prompts)
    assert outputs["generated_text"].numpy()[0].decode() == "moo"  # stopped before the second " moo"
    sampled = trained.task.__class__({"sampler": "top_p", "top_p": 0.9, "temperature": 0.7, "seed": 1,
                                      "prompt_template": "{prompt}\nSound:", "max_new_tokens": 8},
                                     trained.task.data)
    texts = sampled.generator(trained.model, trained.encoder)(prompts)["generated_text"].numpy()
    assert len(texts) == 2 and all(isinstance(t, bytes) for t in texts)


def test_prompt_tuned_generator_serves_what_it_generates(tmp_path, gpt_preset):
    """Decoder prompt tuning lives in the key/value cache: training, decoding and export agree."""
    from test_export import pure_tf_outputs
    from tfft.training.trained_model import load_trained_model

    # A random GPT's outputs are near uniform, so a prompt moves its loss by thousandths only;
    # 0.3 is the prompt-tuning learning rate of Lester et al. (2021).
    run = train_generator(tmp_path, gpt_preset, "sounds-prompt", **{
        "peft.method": "prompt", "peft.virtual_tokens": 8, "training.epochs": 4, "training.learning_rate": 0.3})
    assert run.metrics["training"]["trainable_parameters"] == 8 * 32
    assert run.history["val_loss"][-1] < run.history["val_loss"][0]
    prompts = ["the cat says", "the cow says"]
    served = pure_tf_outputs(run.export_path, {"prompt": prompts})
    trained = load_trained_model(run.run_dir)
    in_process = trained.task.generator(trained.model, trained.encoder)(tf.constant(prompts))
    assert served["loaded"] == []
    assert served["generated_text"] == [t.decode("utf-8") for t in in_process["generated_text"].numpy()]
