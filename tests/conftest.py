"""Shared fixtures: tiny data files and tiny randomly initialised runs."""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfft.config import load_config  # noqa: E402

POSITIVE = ["great", "excellent", "love", "wonderful", "superb", "fantastic"]
NEGATIVE = ["awful", "terrible", "hate", "horrible", "dreadful", "poor"]
NOUNS = ["movie", "phone", "service", "book", "meal", "hotel", "camera"]


def sentiment_rows(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """Rows a tiny model can learn in a few steps: the label word decides."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = "positive" if i % 2 == 0 else "negative"
        word = rng.choice(POSITIVE if label == "positive" else NEGATIVE)
        rows.append((f"the {rng.choice(NOUNS)} was {word}", label))
    return rows


PEOPLE = ["Angela Merkel", "John Smith", "Maria Garcia", "Li Wei", "Peter Blackburn", "Ada Lovelace"]
PLACES = ["Paris", "New York", "Berlin", "Tokyo", "Rio de Janeiro", "Cairo"]
ORGS = ["Acme Corp", "United Nations", "Reuters", "European Commission"]


def ner_sentences(count: int, seed: int = 0) -> list[list[tuple[str, str]]]:
    """(token, BIO tag) sentences a tiny model can learn: names, places and firms from short lists."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        person, place, org = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(ORGS)
        pattern = rng.choice([
            [("PER", person), ("", "visited"), ("LOC", place), ("", "for"), ("ORG", org), ("", ".")],
            [("ORG", org), ("", "hired"), ("PER", person), ("", "in"), ("LOC", place)],
            [("", "yesterday"), ("PER", person), ("", "flew"), ("", "to"), ("LOC", place)],
        ])
        sentences.append([(word, "O" if not kind else ("B-" if i == 0 else "I-") + kind)
                          for kind, words in pattern for i, word in enumerate(words.split())])
    return sentences


def write_conll(path: Path, sentences: list[list[tuple[str, str]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = ["-DOCSTART- -X- -X- O"] + ["\n".join(f"{w} NNP B-NP {t}" for w, t in s) for s in sentences]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def tensorboard_tags(log_dir: Path) -> set[str]:
    """Every summary tag written under ``log_dir`` (all runs, all event files)."""
    import tensorflow as tf

    tags = set()
    for path in Path(log_dir).rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
    return tags


def write_csv(path: Path, header: list[str], rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def sentiment_files(tmp_path: Path) -> dict[str, Path]:
    return {
        "train": write_csv(tmp_path / "data" / "train.csv", ["text", "label"], sentiment_rows(96, 1)),
        "test": write_csv(tmp_path / "data" / "test.csv", ["text", "label"], sentiment_rows(24, 2)),
    }


def tiny_overrides(tmp_path: Path, files: dict[str, Path], **extra) -> list[str]:
    values = {
        "name": "tiny", "output_dir": str(tmp_path / "runs"), "model.backbone": "scratch:tiny",
        "model.max_length": 32, "task_options.pooling": "mean", "data.train": str(files["train"]), "data.test": str(files["test"]),
        "training.epochs": 3, "training.batch_size": 8, "training.learning_rate": 3e-3,
        "training.warmup_ratio": 0.0, "training.log_every_steps": 2,
        "export.dir": str(tmp_path / "saved_models"), "export.warmup_requests": 4,
    }
    values.update(extra)
    return [f"{key}={value}" for key, value in values.items()]


def tiny_config(tmp_path: Path, files: dict[str, Path], **extra):
    return load_config(None, tiny_overrides(tmp_path, files, **extra))


@pytest.fixture(scope="session")
def trained_tiny(tmp_path_factory):
    """One finished tiny run (with export), shared by export and CLI tests."""
    from tfft.commands.train import train_and_export

    root = tmp_path_factory.mktemp("trained")
    files = {
        "train": write_csv(root / "data" / "train.csv", ["text", "label"], sentiment_rows(96, 1)),
        "test": write_csv(root / "data" / "test.csv", ["text", "label"], sentiment_rows(24, 2)),
    }
    result = train_and_export(tiny_config(root, files), verbose=0)
    return {"root": root, "files": files, "result": result}


@pytest.fixture(scope="session")
def dropout_free_preset(tmp_path_factory) -> Path:
    """A tiny random BERT preset without dropout, so two runs can agree step for step."""
    import keras_hub

    from tfft.backbones import SCRATCH_SIZES, load_backbone

    folder = tmp_path_factory.mktemp("preset") / "tiny-no-dropout"
    tokenizer = load_backbone("scratch:tiny", 32).tokenizer
    backbone = keras_hub.models.BertBackbone(vocabulary_size=tokenizer.vocabulary_size(), max_sequence_length=32,
                                             dropout=0.0, **SCRATCH_SIZES["tiny"])
    backbone.save_to_preset(str(folder))
    tokenizer.save_to_preset(str(folder))
    return folder
