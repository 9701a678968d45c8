"""Train a tokenizer on a corpus: WordPiece for BERT-style, byte-level BPE for GPT-style.

The trainers are Hugging Face ``tokenizers`` (a keras-hub dependency, fast and
well kept); the result is the matching keras-hub tokenizer, so training,
serving and ``save_to_preset`` use keras-hub's in-graph ops as for any preset.

Example:

>>> tokenizer = train_wordpiece(documents, vocabulary_size=8000)
>>> tokenizer = train_byte_level_bpe(documents, vocabulary_size=4096)
>>> tokenizer(["To be, or not to be"])
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from pathlib import Path
from typing import Sequence

import keras_hub
from tokenizers import ByteLevelBPETokenizer, BertWordPieceTokenizer
from tokenizers.normalizers import BertNormalizer

logger = logging.getLogger(__name__)

BERT_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
GPT2_END_OF_TEXT = "<|endoftext|>"
MIN_FREQUENCY = 2


def train_wordpiece(documents: Sequence[str], vocabulary_size: int,
                    lowercase: bool = True) -> keras_hub.models.BertTokenizer:
    """A BERT WordPiece tokenizer whose vocabulary is learnt from ``documents``."""
    _log(f"training a {vocabulary_size}-entry WordPiece vocabulary on {len(documents)} documents ...")
    trainer = BertWordPieceTokenizer(lowercase=lowercase, strip_accents=lowercase)
    alphabet = _alphabet_size(BertNormalizer(lowercase=lowercase, strip_accents=lowercase), documents,
                              vocabulary_size - len(BERT_SPECIAL_TOKENS))
    trainer.train_from_iterator(documents, vocab_size=vocabulary_size, min_frequency=MIN_FREQUENCY,
                                limit_alphabet=alphabet, special_tokens=BERT_SPECIAL_TOKENS,
                                show_progress=False)
    by_id = sorted(trainer.get_vocab().items(), key=lambda item: item[1])
    return keras_hub.models.BertTokenizer(vocabulary=[token for token, _ in by_id], lowercase=lowercase)


def _alphabet_size(normalizer: BertNormalizer, documents: Sequence[str], budget: int) -> int:
    """How many single characters get a token: every one seen ``MIN_FREQUENCY`` times, within budget.

    The trainer's default keeps only the 1,000 most frequent characters, which in
    Chinese turns common ideographs (吴, 归) into [UNK]; BERT-Chinese has one
    token per ideograph.
    """
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update(normalizer.normalize_str(document))
    frequent = sum(1 for character, count in counts.items()
                   if count >= MIN_FREQUENCY and not character.isspace())
    if frequent > budget:
        logger.warning(f"{frequent} characters appear {MIN_FREQUENCY}+ times but the vocabulary has room "
                       f"for {budget}: the rarest become [UNK]; raise task_options.vocabulary_size")
    return max(1, min(frequent, budget))


def train_byte_level_bpe(documents: Sequence[str], vocabulary_size: int) -> keras_hub.models.GPT2Tokenizer:
    """A GPT-2 byte-level BPE tokenizer learnt from ``documents`` (``<|endoftext|>`` included)."""
    _log(f"training a {vocabulary_size}-entry byte-level BPE vocabulary on {len(documents)} documents ...")
    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(documents, vocab_size=vocabulary_size, min_frequency=MIN_FREQUENCY,
                                special_tokens=[GPT2_END_OF_TEXT], show_progress=False)
    with tempfile.TemporaryDirectory() as folder:
        vocabulary, merges = trainer.save_model(folder)
        # keras-hub reads both files into memory here, so the folder can go.
        return keras_hub.models.GPT2Tokenizer(vocabulary=vocabulary, merges=_merge_rules(Path(merges)))


def _merge_rules(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#version")]


def _log(message: str) -> None:
    logger.info(message)
