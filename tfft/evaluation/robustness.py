"""Word-level perturbations for robustness checks: typos and synonym swaps.

``tfft evaluate --perturb typo`` (or ``synonym``) scores a run or an export on
a labelled file whose texts are perturbed first, seeded, so that models trained
with and without a method (adversarial training, say) are compared on the very
same perturbed texts. Labels are left alone: use it for tasks whose labels do
not point into the text (``Task.supports_text_augmentation``).

- ``typo``: each word of three or more letters is hit with probability
  ``rate`` by one of: swap two neighbouring letters, drop a letter, double a
  letter, or replace a letter by a neighbour on a QWERTY keyboard.
- ``synonym``: about ``rate`` of the words that have an entry in the synonym
  list are replaced by one of their synonyms (the EDA synonym operation).

Example:

>>> perturb_texts(["the movie was great"], "typo", rate=1.0, seed=0)
['teh moive was graet']
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from tfft.config import AugmentConfig
from tfft.data.augment import EdaAugmenter, read_synonyms
from tfft.data.readers import TextExamples

PERTURBATIONS = ("typo", "synonym")
DEFAULT_SYNONYMS = Path(__file__).resolve().parent.parent / "sample_data" / "synonyms_en.txt"
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    neighbours = {}
    for r, row in enumerate(KEYBOARD_ROWS):
        for c, key in enumerate(row):
            near = [row[c - 1] if c else "", row[c + 1] if c + 1 < len(row) else ""]
            for other in (r - 1, r + 1):
                if 0 <= other < len(KEYBOARD_ROWS):
                    near += [KEYBOARD_ROWS[other][i] for i in (c - 1, c, c + 1)
                             if 0 <= i < len(KEYBOARD_ROWS[other])]
            neighbours[key] = "".join(k for k in near if k)
    return neighbours


NEIGHBOURS = _keyboard_neighbours()


def typo(word: str, rng: np.random.Generator) -> str:
    """``word`` with one typing error (first letter and word length kept readable)."""
    i = int(rng.integers(1, len(word) - 1)) if len(word) > 2 else 1
    kind = int(rng.integers(4))
    if kind == 0:  # swap neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2:] if i + 1 < len(word) else word
    if kind == 1:  # drop
        return word[:i] + word[i + 1:]
    if kind == 2:  # double
        return word[:i] + word[i] + word[i:]
    near = NEIGHBOURS.get(word[i].lower())
    return word[:i] + near[int(rng.integers(len(near)))] + word[i + 1:] if near else word


def perturb_texts(texts: list[str], kind: str, rate: float = 0.1, seed: int = 0,
                  synonyms: str | Path | None = None) -> list[str]:
    """``texts`` with ``kind`` perturbations applied, reproducibly for a ``seed``."""
    if kind not in PERTURBATIONS:
        raise ValueError(f"perturbation must be one of {PERTURBATIONS}, got '{kind}'")
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"perturbation rate must be in (0, 1], got {rate}")
    rng = np.random.default_rng(seed)
    if kind == "typo":
        return [" ".join(typo(word, rng) if word.isalpha() and len(word) >= 3 and rng.random() < rate else word
                         for word in text.split()) for text in texts]
    table = read_synonyms(synonyms or DEFAULT_SYNONYMS)
    augmenter = EdaAugmenter(AugmentConfig(method="eda", rate=rate, operations=["synonym"], seed=seed), table)
    return [augmenter.augment(text, rng)[0] for text in texts]


def perturb_examples(examples, kind: str, rate: float = 0.1, seed: int = 0, synonyms=None):
    """``examples`` with perturbed texts (and pairs); labels and line numbers kept."""
    if not isinstance(examples, TextExamples):  # NER / QA labels point into the text
        raise ValueError(f"{getattr(examples, 'source', 'this data')}: perturbations apply to text "
                         f"classification examples only, whose labels survive word edits")
    pairs = examples.pairs
    changed = {"texts": perturb_texts(list(examples.texts), kind, rate, seed, synonyms)}
    if pairs is not None:
        changed["pairs"] = perturb_texts(list(pairs), kind, rate, seed + 1, synonyms)
    return dataclasses.replace(examples, **changed)
