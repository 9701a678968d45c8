"""tfft's in-graph BERT tokenization gives the ids of Hugging Face ``tokenizers``' BERT pipeline.

``tokenizers``' ``BertWordPieceTokenizer`` is ``BertNormalizer`` (clean-up, CJK split,
accent stripping, lower-casing) + ``BertPreTokenizer`` + WordPiece: what Chinese and
English BERT checkpoints were trained with. Texts: Chinese, mixed Chinese / Latin / digits,
full-width characters, emoji, 4-byte characters, control and zero-width characters
(``tests/data``), the Chinese dev sets in ``../shared/data`` where present, and SST-2 dev
with MiniLM-L6's own vocabulary.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import tensorflow as tf
from tokenizers import BertWordPieceTokenizer

from tfft.backbones import embedded_model_dir
from tfft.text.offset_tokenizer import OffsetTokenizer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
TRICKY = (Path(__file__).parent / "data" / "bert_tokenization_texts.txt").read_text(encoding="utf-8").splitlines()


def chinese_texts() -> list[str]:
    texts = list(TRICKY)
    sentiment, ner = DATA / "zh_sentiment" / "dev.tsv", DATA / "zh_ner_peoples_daily" / "dev.jsonl"
    if sentiment.is_file():
        texts += [line.split("\t")[0] for line in sentiment.read_text(encoding="utf-8").splitlines()[1:]]
    if ner.is_file():
        texts += [json.loads(line)["text"] for line in ner.read_text(encoding="utf-8").splitlines()]
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return chinese_texts()


def chinese_vocabulary(texts: list[str], lowercase: bool, folder: Path) -> Path:
    """A 6,000-entry WordPiece vocabulary learnt from the texts, as vocab.txt."""
    trainer = BertWordPieceTokenizer(lowercase=lowercase, strip_accents=lowercase)
    trainer.train_from_iterator(texts, vocab_size=6000, min_frequency=2, show_progress=False,
                                special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    folder.mkdir(parents=True, exist_ok=True)
    return Path(trainer.save_model(str(folder))[0])


def mismatches(vocab_file: Path, lowercase: bool, texts: list[str]) -> list[tuple[str, list, list]]:
    vocabulary = vocab_file.read_text(encoding="utf-8").splitlines()
    reference = BertWordPieceTokenizer(str(vocab_file), lowercase=lowercase, strip_accents=lowercase)
    expected = [encoding.tokens for encoding in reference.encode_batch(texts, add_special_tokens=False)]
    ids = OffsetTokenizer(vocabulary, lowercase).tokenize(tf.constant(texts)).ids.to_list()
    found = [[vocabulary[i] for i in row] for row in ids]
    return [(text, want, got) for text, want, got in zip(texts, expected, found) if want != got]


@pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])
def test_chinese_ids_equal_those_of_the_tokenizers_bert_pipeline(texts, lowercase, tmp_path):
    vocab_file = chinese_vocabulary(texts, lowercase, tmp_path)
    assert len(texts) >= len(TRICKY) and mismatches(vocab_file, lowercase, texts) == []


@pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])
def test_english_ids_equal_those_of_the_tokenizers_bert_pipeline_with_minilm_vocabulary(lowercase):
    sst2 = DATA / "sst2" / "dev.tsv"
    texts = list(TRICKY) + ["Hello, World! Don't stop -- it's 3.14 (approx.) naïve CAFÉ", "x" * 101 + " ok"]
    if sst2.is_file():
        texts += [line.split("\t")[0] for line in sst2.read_text(encoding="utf-8").splitlines()[1:]]
    assert mismatches(embedded_model_dir() / "vocab.txt", lowercase, texts) == []


def test_full_width_characters_keep_their_own_ids():
    # NFKC (tensorflow-text's FastBertNormalizer, keras-hub's lower-casing) would make them ',' and 'a'.
    vocabulary = ["[PAD]", "[UNK]", "，", ",", "好", "ａ", "a"]
    ids = OffsetTokenizer(vocabulary, lowercase=True).tokenize(tf.constant(["好，好,ａ a"])).ids.to_list()
    assert [[vocabulary[i] for i in row] for row in ids] == [["好", "，", "好", ",", "ａ", "a"]]


def bert_normalized(text: str) -> str:
    """Lower case, accents and control characters gone: what a token's text is compared with."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower())
                   if unicodedata.category(c) != "Mn" and not unicodedata.category(c).startswith("C"))


def test_offsets_slice_the_original_text_exactly(texts, tmp_path):
    vocabulary = chinese_vocabulary(texts, True, tmp_path).read_text(encoding="utf-8").splitlines()
    tokens = OffsetTokenizer(vocabulary, lowercase=True).tokenize(tf.constant(TRICKY))
    checked = 0
    for text, ids, starts, ends in zip(TRICKY, tokens.ids.to_list(), tokens.starts.to_list(), tokens.ends.to_list()):
        raw = text.encode("utf-8")
        for token_id, start, end in zip(ids, starts, ends):
            piece = raw[start:end].decode("utf-8")  # raises if an offset cuts a character
            token = vocabulary[token_id].removeprefix("##")
            assert piece, (text, token)
            if token != "[UNK]":
                assert token in bert_normalized(piece), (text, token, piece)
                checked += 1
    assert checked > 150
