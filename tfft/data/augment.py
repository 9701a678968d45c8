"""Text augmentation: EDA-style word edits, or back-translation.

EDA: synonym replacement and insertion, random swap and deletion.

Swap and deletion are keras-hub's ``RandomSwap`` / ``RandomDeletion`` on word
lists; synonym replacement and insertion draw from a word list the user
supplies (one line per word: ``word,synonym,synonym``). Back-translation
(`tfft.data.back_translation`) paraphrases each text through two translators.
Every augmented text records which operation made it and from which original,
for the run's data report.

Example:

>>> augmenter = EdaAugmenter(AugmentConfig(method="eda", rate=0.2), synonyms={"good": ["fine"]})
>>> augmenter.augment("a good movie", np.random.default_rng(0))
('a fine movie', 'synonym')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras_hub
import numpy as np

from tfft.config import AugmentConfig
from tfft.data.back_translation import BackTranslator, Translate, is_new_text
from tfft.data.errors import DataError
from tfft.data.replay import concatenate_examples


def read_synonyms(path: str | Path) -> dict[str, list[str]]:
    """``word,synonym,...`` lines; errors name the file and line."""
    synonyms: dict[str, list[str]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        words = [word.strip().lower() for word in line.split(",") if word.strip()]
        if len(words) < 2:
            raise DataError(f"{path}, line {number}: expected 'word,synonym[,synonym...]', got '{line}'")
        synonyms.setdefault(words[0], []).extend(words[1:])
    return synonyms


@dataclass
class AugmentedRow:
    source_index: int
    operation: str
    text: str
    pair: str | None


class EdaAugmenter:
    """Makes augmented copies of texts, one EDA operation per copy."""

    def __init__(self, config: AugmentConfig, synonyms: dict[str, list[str]] | None = None):
        self.config = config
        self.synonyms = synonyms or {}
        needs_synonyms = {"synonym", "insert"}
        self.operations = [op for op in config.operations if self.synonyms or op not in needs_synonyms]
        if not self.operations:
            raise ValueError("data.augment: synonym/insert need data.augment.synonyms (a word list file)")
        self._swap = keras_hub.layers.RandomSwap(rate=config.rate, max_swaps=None, seed=config.seed, dtype="string")
        self._delete = keras_hub.layers.RandomDeletion(rate=config.rate, seed=config.seed, dtype="string")

    def augment(self, text: str, rng: np.random.Generator) -> tuple[str, str]:
        """(augmented text, operation name); a text too short to change comes back unchanged."""
        words = text.split()
        if len(words) < 2:
            return text, "none"
        operation = self.operations[rng.integers(len(self.operations))]
        changed = getattr(self, f"_{operation}_words")(words, rng)
        return " ".join(changed), operation

    def _count(self, words: list[str]) -> int:
        return max(1, int(round(self.config.rate * len(words))))

    def _synonym_words(self, words: list[str], rng) -> list[str]:
        words = list(words)
        candidates = [i for i, word in enumerate(words) if word.lower() in self.synonyms]
        for i in rng.permutation(candidates)[: self._count(words)]:
            options = self.synonyms[words[i].lower()]
            words[i] = options[rng.integers(len(options))]
        return words

    def _insert_words(self, words: list[str], rng) -> list[str]:
        words = list(words)
        candidates = [word for word in words if word.lower() in self.synonyms]
        for _ in range(self._count(words) if candidates else 0):
            options = self.synonyms[candidates[rng.integers(len(candidates))].lower()]
            words.insert(int(rng.integers(len(words) + 1)), options[rng.integers(len(options))])
        return words

    def _swap_words(self, words: list[str], rng) -> list[str]:
        return [_text(token) for token in self._swap(words, rng=rng)]

    def _delete_words(self, words: list[str], rng) -> list[str]:
        kept = [_text(token) for token in self._delete(words, rng=rng)]
        return kept or [words[rng.integers(len(words))]]  # EDA keeps at least one word


def _text(token) -> str:
    return token.decode("utf-8") if isinstance(token, bytes) else str(token)


def augmented_rows(texts: list[str], pairs: list[str] | None, config: AugmentConfig,
                   translators: tuple[Translate, Translate] | None = None) -> list[AugmentedRow]:
    """Augmented copies of the rows as ``config.method`` makes them (pairs: the first text changes).

    ``translators`` (into the pivot language, back) are what back-translation uses.
    """
    if config.method == "back_translation":
        return back_translated_rows(texts, pairs, translators)
    return eda_rows(texts, pairs, config)


def eda_rows(texts: list[str], pairs: list[str] | None, config: AugmentConfig) -> list[AugmentedRow]:
    """``config.copies`` EDA copies of every row."""
    synonyms = read_synonyms(config.synonyms) if config.synonyms else None
    augmenter = EdaAugmenter(config, synonyms)
    rng = np.random.default_rng(config.seed)
    rows = []
    for index, text in enumerate(texts):
        for _ in range(config.copies):
            changed, operation = augmenter.augment(text, rng)
            if operation != "none" and changed != text:
                rows.append(AugmentedRow(index, operation, changed, pairs[index] if pairs else None))
    return rows


def back_translated_rows(texts: list[str], pairs: list[str] | None,
                         translators: tuple[Translate, Translate] | None) -> list[AugmentedRow]:
    """One paraphrase of every row through the two translators (where it differs)."""
    if translators is None:
        raise ValueError("data.augment.method=back_translation needs its translators "
                         "(tfft.export.translation.back_translators makes them from the exports)")
    translator = BackTranslator(*translators)
    return [AugmentedRow(index, "back_translation", paraphrase, pairs[index] if pairs else None)
            for index, (text, paraphrase) in enumerate(zip(texts, translator.paraphrase(texts)))
            if is_new_text(paraphrase, text)]



def with_augmented_copies(train, config: AugmentConfig, translators: tuple[Translate, Translate] | None = None
                          ) -> tuple[object, list[AugmentedRow]]:
    """``train`` plus its augmented copies (labels and source lines of their originals)."""
    rows = augmented_rows(list(train.texts), list(train.pairs) if train.pairs else None, config, translators)
    if not rows:
        return train, rows
    copies = train.subset([row.source_index for row in rows])
    copies.texts = [row.text for row in rows]
    return concatenate_examples(train, copies), rows
